"""The messages `ChatsScreen`'s workers and helpers post to it: what they found, or how they failed.

Plain `@dataclass` messages (toolong's pattern); `ChatsScreen` names them as its own too
(`ChatsScreen.ChatChanged`), so code and tests outside keep one spelling.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.message import Message

from plow_tui.client.errors import PlowError
from plow_tui.client.models import Chat, ChatMessage, Member


@dataclass
class ChatsLoaded(Message):
    """The server's chat list."""

    chats: list[Chat]


@dataclass
class PreviewsLoaded(Message):
    """The newest message of some chats (None: the chat has none); `done` with the last batch."""

    newest: dict[str, ChatMessage | None]
    done: bool = False


@dataclass
class PageLoaded(Message):
    """A page of history, newest first; `older` when it goes above what is shown; `gap`: messages are missing above it."""

    chat_uid: str
    messages: list[ChatMessage]
    has_more: bool
    older: bool
    gap: bool = False


@dataclass
class GapFilled(Message):
    """Messages from a gap below `above` came from the server (newest first); `closed`: none are missing any more."""

    chat_uid: str
    above: str
    messages: list[ChatMessage]
    closed: bool


@dataclass
class ChatChanged(Message):
    """A chat was created, recreated or had a code resent (codes only live here)."""

    chat: Chat
    codes: Iterable[Member] = ()
    open_it: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self.codes = tuple(self.codes)


@dataclass
class JumpLoaded(Message):
    """A chat's messages from a search hit to the newest, to show it at `target`."""

    chat_uid: str
    messages: list[ChatMessage]
    target: str
    query: str


@dataclass
class ChatRemoved(Message):
    """A chat is gone (deleted here, or the server no longer has it); `why` is said to the person."""

    chat_uid: str
    why: str


@dataclass
class Failed(Message):
    """A request failed; `what` completes "Could not …"."""

    what: str
    error: PlowError
