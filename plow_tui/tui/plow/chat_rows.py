"""The chat list's rows, drawn from the chat book: one at once, many in one rebuild, or throttled in a burst.

`ChatsScreen` owns one `ChatRows` and tells it which chats changed; the book
says what each row shows (`chat_summary`: preview, unread count, draft mark).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from plow_tui.client.models import Chat
from plow_tui.tui.plow.chat_book import ChatBook
from plow_tui.tui.plow.views import chat_summary
from plow_tui.tui.widgets.chat_list import ChatList
from plow_tui.tui.widgets.view_models import ChatSummary

if TYPE_CHECKING:
    from textual.timer import Timer

ROW_INTERVAL = 0.25  # seconds: a chat's row follows its newest message at most this often


class ChatRows:
    """Keeps the `ChatList` rows in step with the book.

    `chat_list()` finds the list widget (mounted by then); `set_timer(delay, callback)` is the screen's timer.
    """

    def __init__(
        self,
        book: ChatBook,
        chat_list: Callable[[], ChatList],
        set_timer: Callable[[float, Callable[[], None]], Timer],
    ) -> None:
        self._book = book
        self._chat_list = chat_list
        self._set_timer = set_timer
        self._stale: set[str] = set()  # rows to redraw (see `refresh_soon`)
        self._timer: Timer | None = None
        self._shown_at = 0.0

    def refresh_soon(self, chat_uid: str) -> None:
        """Redraw a row whose preview changed, at most every ROW_INTERVAL s (the first at once).

        Every message changes its chat's row; in a burst, redrawing the list
        that often costs more than it shows.
        """
        self._stale.add(chat_uid)
        if self._timer is None:
            wait = self._shown_at + ROW_INTERVAL - time.monotonic()
            if wait > 0:
                self._timer = self._set_timer(wait, self._refresh_stale)
            else:
                self._refresh_stale()

    def _refresh_stale(self) -> None:
        self._timer = None
        stale, self._stale = self._stale, set()
        self._shown_at = time.monotonic()
        self.refresh_many(stale)

    def summary(self, chat: Chat) -> ChatSummary:
        """The row of `chat` as the book knows it now."""
        book = self._book
        return chat_summary(
            chat,
            last=book.last.get(chat.uid),
            unread=book.unread.get(chat.uid, 0),
            draft=chat.uid in book.drafts,
            unsent=book.newest_unsent(chat.uid),
        )

    def refresh(self, chat_uid: str) -> None:
        """Redraw the row of `chat_uid` now (nothing if it is not listed)."""
        chat = self._book.chats.get(chat_uid)
        if chat is not None:
            self._chat_list().upsert(self.summary(chat))

    def refresh_many(self, chat_uids: Iterable[str]) -> None:
        """Update many rows: past a few, one rebuild of the whole list is cheaper."""
        uids = [uid for uid in chat_uids if uid in self._book.chats]
        if len(uids) <= 3:
            for uid in uids:
                self.refresh(uid)
            return
        self._chat_list().set_chats(self.summary(chat) for chat in self._book.chats.values())
