"""The messages `ChatsScreen`'s workers and helpers post to it: what they found, or how they failed.

`ChatsScreen` names them as its own too (`ChatsScreen.ChatChanged`), so code and
tests outside keep one spelling. Plain classes with their own `__init__`, not
dataclasses: a dataclass writes and compiles its methods as its module loads
(about a millisecond each), and these load before the main screen's first frame.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.message import Message

from plow_tui.client.errors import PlowError
from plow_tui.client.models import Chat, ChatMessage, Member


class ChatsLoaded(Message):
    """The server's chat list."""

    def __init__(self, chats: list[Chat]) -> None:
        super().__init__()
        self.chats = chats


class PreviewsLoaded(Message):
    """The newest message of some chats (None: the chat has none); `done` with the last batch."""

    def __init__(self, newest: dict[str, ChatMessage | None], done: bool = False) -> None:
        super().__init__()
        self.newest = newest
        self.done = done


class PageLoaded(Message):
    """A page of history, newest first; `older` when it goes above what is shown; `gap`: messages are missing above it."""

    def __init__(self, chat_uid: str, messages: list[ChatMessage], has_more: bool, older: bool, gap: bool = False) -> None:
        super().__init__()
        self.chat_uid = chat_uid
        self.messages = messages
        self.has_more = has_more
        self.older = older
        self.gap = gap


class GapFilled(Message):
    """Messages from a gap below `above` came from the server (newest first); `closed`: none are missing any more."""

    def __init__(self, chat_uid: str, above: str, messages: list[ChatMessage], closed: bool) -> None:
        super().__init__()
        self.chat_uid = chat_uid
        self.above = above
        self.messages = messages
        self.closed = closed


class ChatChanged(Message):
    """A chat was created, recreated or had a code resent (codes only live here)."""

    def __init__(self, chat: Chat, codes: Iterable[Member] = (), open_it: bool = False) -> None:
        super().__init__()
        self.chat = chat
        self.codes = tuple(codes)
        self.open_it = open_it


class JumpLoaded(Message):
    """A chat's messages from a search hit to the newest, to show it at `target`."""

    def __init__(self, chat_uid: str, messages: list[ChatMessage], target: str, query: str) -> None:
        super().__init__()
        self.chat_uid = chat_uid
        self.messages = messages
        self.target = target
        self.query = query


class ChatRemoved(Message):
    """A chat is gone (deleted here, or the server no longer has it); `why` is said to the person."""

    def __init__(self, chat_uid: str, why: str) -> None:
        super().__init__()
        self.chat_uid = chat_uid
        self.why = why


class Failed(Message):
    """A request failed; `what` completes "Could not …"."""

    def __init__(self, what: str, error: PlowError) -> None:
        super().__init__()
        self.what = what
        self.error = error
