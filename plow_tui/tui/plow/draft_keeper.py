"""Keeping what someone wrote across restarts, for the chats screen: the editor's drafts and the unsent texts.

`ChatsScreen` owns one `DraftKeeper`. The drafts live in the chat book
(`ChatBook.drafts`), the unsent texts in each open pane's `Outbox` (and, for
chats not opened since a restart, in `ChatBook.restored`); the keeper writes
them all to the drafts file (`tui/plow/drafts.py`): at once when a text leaves
the editor (so a kill leaves it in exactly one of the two places), debounced
while typing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from plow_tui.client.models import Chat
from plow_tui.tui.plow.chat_book import ChatBook
from plow_tui.tui.plow.drafts import DraftFile, Unsent

if TYPE_CHECKING:
    from textual.timer import Timer

    from plow_tui.tui.plow.chat_pane import ChatPane

DRAFT_SAVE_DELAY = 0.5  # seconds of quiet before drafts are written


class DraftKeeper:
    """Every chat's draft and unsent texts, loaded into the book at start and written back to disk.

    `set_timer(delay, callback)` is the screen's (Textual's) timer, for the debounced saves.
    """

    def __init__(
        self,
        book: ChatBook,
        panes: Mapping[str, ChatPane],
        set_timer: Callable[[float, Callable[[], None]], Timer],
    ) -> None:
        self._book = book
        self._panes = panes
        self._set_timer = set_timer
        self._file: DraftFile | None = None
        self._timer: Timer | None = None

    def load(self, api_url: str) -> None:
        """Read the drafts and unsent texts kept for `api_url` into the book."""
        self._file = DraftFile(api_url)
        self._book.drafts, self._book.restored = self._file.load()

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

    def left_editor(self, chat_uid: str) -> None:
        """The editor's text is now the outbox's: it moves from the draft to the unsent
        texts on disk in one write, before it goes out (the outbox calls this then). A
        process killed at any moment after leaves it in one place, never both, never neither."""
        self._book.drafts.pop(chat_uid, None)
        self.save()

    def save_soon(self) -> None:
        """Save a little later. Debounced: typing writes the file at most about twice a second."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._set_timer(DRAFT_SAVE_DELAY, self.save)

    def save(self) -> None:
        """Write every chat's draft and unsent texts (see `plow_tui.tui.plow.drafts`)."""
        self._timer = None
        if self._file is not None:
            unsent: dict[str, Sequence[Unsent]] = dict(self._book.restored)
            unsent.update((uid, pane.outbox.unsent) for uid, pane in self._panes.items())
            self._file.save(self._book.drafts, unsent)

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
