"""Keeping what someone wrote across restarts, for the chats screen: the editor's drafts and the unsent texts.

`ChatsScreen` owns one `DraftKeeper`. The drafts live in the chat book
(`ChatBook.drafts`), the unsent texts in each open pane's `Outbox` (and, for
chats not opened since a restart, in `ChatBook.restored`); the keeper writes
them to the local store, through its one writer thread, in order:

- when a text leaves the editor, the draft goes and the text joins the
  outbox in one transaction (`HistoryStore.move_to_outbox`), and the send
  waits for that write before its request goes out: a kill at any moment
  leaves it in exactly one of the two;
- while typing, and when a text's state changes, debounced
  (`DRAFT_SAVE_DELAY`): one transaction for every draft and open chat.

Which store: the account's, once `LocalHistory` has it open. Before that (a
first start: the account is learnt from the first chat list) they go to the
API URL's unassigned store (`Histories.open_unassigned`), opened at the first
write; the account's store takes them in when it opens
(`account_store_opening` / `account_store_opened`). With no history at all
(none configured, or the disk refused it) they are kept for the run only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

from plow_tui.client.models import Chat
from plow_tui.store.unsent import Unsent
from plow_tui.tui.plow.chat_book import ChatBook

if TYPE_CHECKING:
    from textual.timer import Timer

    from plow_tui.store.location import Histories
    from plow_tui.store.writer import StoreWriter
    from plow_tui.tui.plow.chat_pane import ChatPane
    from plow_tui.tui.plow.local_history import LocalHistory

DRAFT_SAVE_DELAY = 0.5  # seconds of quiet before drafts are written


class DraftKeeper:
    """Every chat's draft and unsent texts, loaded into the book at start and written back to the store.

    `set_timer(delay, callback)` is the screen's (Textual's) timer, for the debounced saves;
    `histories()` the app's `Histories` (None: nothing is kept on disk).
    """

    def __init__(
        self,
        book: ChatBook,
        panes: Mapping[str, ChatPane],
        set_timer: Callable[[float, Callable[[], None]], Timer],
        history: LocalHistory,
        histories: Callable[[], Histories | None],
    ) -> None:
        self._book = book
        self._panes = panes
        self._set_timer = set_timer
        self._history = history
        self._histories = histories
        self._unassigned: StoreWriter | None = None  # before the account's store is open
        self._unassigned_failed = False
        self._timer: Timer | None = None

    def load(self) -> None:
        """Read the drafts and unsent texts of the account's store (if `LocalHistory` has opened one) into the book."""
        writer = self._history.writer
        if writer is not None:
            # On the UI thread, like the rest of the first paint: nothing is queued yet.
            self._book.drafts, self._book.restored = writer.store.drafts(), writer.store.unsent()

    def account_store_opening(self) -> None:
        """The account's store is about to open: what the unassigned store holds must be on disk for it to take."""
        if self._unassigned is not None:
            self._unassigned.close()  # after its queued writes
            self._unassigned = None

    def account_store_opened(self) -> None:
        """The account's store is open and took in what waited elsewhere: add that to the book, then write all held."""
        writer = self._history.writer
        if writer is None:
            return
        for chat_uid, text in writer.store.drafts().items():
            self._book.drafts.setdefault(chat_uid, text)
        for chat_uid, texts in writer.store.unsent().items():
            if chat_uid not in self._panes:
                self._book.restored.setdefault(chat_uid, texts)
        self.save()

    def draft_changed(self, chat_uid: str, text: str) -> bool:
        """The editor of `chat_uid` now holds `text`; True when the chat gained or lost its draft (its row's mark)."""
        drafts = self._book.drafts
        if text == drafts.get(chat_uid, ""):
            return False
        had_draft = chat_uid in drafts
        if text:
            drafts[chat_uid] = text
        else:
            drafts.pop(chat_uid, None)
        self.save_soon()
        return had_draft != (chat_uid in drafts)

    def left_editor(self, chat_uid: str, texts: Sequence[Unsent]) -> Future[object] | None:
        """`texts` left the editor of `chat_uid` for its outbox: the store's one write that moves them, queued now.

        The outbox waits for the returned future before sending (None: nothing to wait for).
        """
        self._book.drafts.pop(chat_uid, None)
        writer = self._writer()
        return None if writer is None else writer.submit(writer.store.move_to_outbox, chat_uid, list(texts))

    def save_soon(self) -> None:
        """Save a little later. Debounced: typing writes at most about twice a second."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._set_timer(DRAFT_SAVE_DELAY, self.save)

    def save(self) -> None:
        """Write every draft and the unsent texts of every open chat (chats not opened keep theirs as stored)."""
        self._timer = None
        writer = self._writer()
        if writer is not None:
            unsent = {uid: list(pane.outbox.unsent) for uid, pane in self._panes.items()}
            writer.submit(writer.store.save_kept, dict(self._book.drafts), unsent)

    def close(self) -> None:
        """Write what is held, and close the unassigned store if one is open (the account's is `LocalHistory`'s)."""
        self.save()
        if self._unassigned is not None:
            self._unassigned.close()
            self._unassigned = None

    def unsent_notice(self, chats: Iterable[Chat]) -> str | None:
        """After a restart, where texts wait that did not go out (they show when their chat opens); None: nowhere."""
        restored = self._book.restored
        chats = list(chats)
        titles = [chat.title for chat in chats if restored.get(chat.uid)]
        count = sum(len(restored.get(chat.uid, ())) for chat in chats)
        if not count:
            return None
        where = ", ".join(titles[:3]) + (" and more" if len(titles) > 3 else "")
        return (
            f"{count} text{'s' if count > 1 else ''} from before the restart not sent yet, in {where}. "
            "Open the chat to see or send again."
        )

    def _writer(self) -> StoreWriter | None:
        """The account's store's writer, else the unassigned store's (opened now), else None."""
        if self._history.writer is not None:
            return self._history.writer
        if self._unassigned is None and not self._unassigned_failed:
            histories = self._histories()
            if histories is None:
                return None
            from plow_tui.store.writer import StoreWriter

            try:
                self._unassigned = StoreWriter(histories.open_unassigned())
            except OSError:
                self._unassigned_failed = True  # the disk refused: kept for this run only (LocalHistory says so)
        return self._unassigned
