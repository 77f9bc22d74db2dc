"""The account's local history as the chats screen uses it: which store, opened when, written how.

`ChatsScreen` owns one `LocalHistory`. It opens the store of the account the
token is known to belong to before the network answers (`restore`), or the
store of the account the first chat list names (`start`), and queues every
write on the store's one background thread (`write`), so the UI thread never
waits on the disk. Without a store (none configured, or the disk refused),
writes are dropped and `why_none` says why, for the keys that need one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from plow_tui.client.models import Chat, ChatMessage
from plow_tui.terminal_text import error_text
from plow_tui.tui.plow.chat_book import ChatBook

if TYPE_CHECKING:
    from plow_tui.store.history import HistoryStore
    from plow_tui.store.location import Histories
    from plow_tui.store.writer import StoreWriter

log = logging.getLogger(__name__)

# `notify(text, severity=…, timeout=…)`: how the screen tells a person, literally.
Notify = Callable[..., None]


class LocalHistory:
    """One account's history store for the chats screen: opened once, written in order off the UI thread.

    `histories()` is the app's `Histories` (None: no history is kept), asked when a store is opened.
    """

    def __init__(self, histories: Callable[[], Histories | None], token: str, notify: Notify) -> None:
        self._histories = histories
        self._token = token
        self._notify = notify
        # Every write goes through its one background thread (None: no history kept).
        self.writer: StoreWriter | None = None
        self.why_none = "Nothing is stored yet: search works once your chats have loaded."

    def write(self, method: str, *args: object, **kwargs: object) -> None:
        """Queue `HistoryStore.method(*args)` on the store's thread (nothing without a store)."""
        if self.writer is not None:
            self.writer.submit(getattr(self.writer.store, method), *args, **kwargs)

    def add_live_messages(self, messages: Iterable[ChatMessage]) -> None:
        """Store messages as they arrive live, gathered for a moment into one write (see `StoreWriter.add_messages`)."""
        if self.writer is not None:
            self.writer.add_messages(messages)

    def restore_newest(self, book: ChatBook, count: int) -> list[Chat]:
        """Put the `count` chats of the newest activity, as the last run left them, into `book`: those chats.

        The top of the chat list, for the first frame: reading every chat of a
        large history first (a thousand chats: a tenth of a second) would hold
        the first frame back; `restore` reads the rest after it. Reading happens
        on the caller's (UI) thread, because nothing is queued yet.
        """
        store = self._open_known()
        if store is None:
            return []
        newest = store.recent_chats(count)
        for chat, last in newest:
            if last is not None:
                book.last[chat.uid] = last
            book.update(chat)
        return [chat for chat, _ in newest]

    def restore(self, book: ChatBook) -> tuple[list[Chat], str | None]:
        """Put the chats as the last run left them into `book`: (those chats, the chat to reopen).

        Reading happens on the caller's (UI) thread: it runs before the first
        frame, or just after it when `restore_newest` painted the top first.
        """
        store = self._open_known()
        if store is None:
            return [], None
        chats = store.chats()
        if not chats:
            return [], None
        for chat_uid, members in store.codes().items():
            book.codes.setdefault(chat_uid, {}).update(members)
        book.last.update(store.newest())
        for chat in chats:
            book.update(chat)
        reopen = store.get_meta("open_chat")
        return chats, reopen if reopen in book.chats else None

    def _open_known(self) -> HistoryStore | None:
        """The store of the account the token is known to belong to, opened once (None: not known yet)."""
        if self.writer is not None:
            return self.writer.store
        histories = self._histories()
        if histories is None:
            return None
        try:
            store = histories.open_known(self._token)
        except OSError as error:
            self._notify(f"The local message history is unavailable: {error}", severity="warning", markup=False)
            return None
        if store is None:
            return None  # the account is learnt from the first chat list
        self._use(store)
        return store

    def start(self, chats: Iterable[Chat], book: ChatBook) -> None:
        """First chat list of an account not seen before: open its store and write what `book` knows."""
        histories = self._histories()
        if histories is None:
            return
        try:
            store = histories.open_for(self._token, chats)
        except OSError as error:
            # A full disk or an unwritable state directory: the chats still work from the server.
            log.warning("no local history (%s)", type(error).__name__)
            self.why_none = f"No local history this time (search and offline start are off): {error_text(error)}"
            self._notify(self.why_none, severity="warning", timeout=12, markup=False)
            return
        if store is None:
            return
        self._use(store)
        self.write("add_messages", list(book.last.values()))
        for chat_uid, codes in book.codes.items():
            self.write("save_codes", chat_uid, list(codes.values()))

    def close(self) -> None:
        """Close the store after what is queued has been written."""
        if self.writer is not None:
            self.writer.close()

    def _use(self, store: HistoryStore) -> None:
        from plow_tui.store.writer import StoreWriter

        self.writer = StoreWriter(store)
        if store.notice:
            self._notify(store.notice, severity="warning", timeout=12, markup=False)
