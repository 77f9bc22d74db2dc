"""What a `ChatStream` tells its consumer: plain, typed, already deduplicated events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from plow_tui.client.models import Chat, Member, ChatMessage

ConnectionState = Literal["connecting", "live", "reconnecting", "offline"]


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """The socket's state for a status bar.

    `connecting`: a connection attempt started. `live`: subscribed and caught
    up. `reconnecting`: an open connection dropped. `offline`: the server could
    not be reached, or the stream stopped (then `retry_in` is None).
    `retry_in` is the wait before the next attempt; `reason` a short phrase.
    """

    state: ConnectionState
    retry_in: float | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class MessagesArrived:
    """New messages, oldest first, each delivered once per stream.

    `backfill` is True for a batch fetched over REST after a (re)connect, so a
    view can apply it in one refresh.
    """

    messages: tuple[ChatMessage, ...]
    backfill: bool = False


@dataclass(frozen=True, slots=True)
class MessageStatusChanged:
    """A message already known changed status (`delivered`, `failed`, ...)."""

    message: ChatMessage


@dataclass(frozen=True, slots=True)
class ParticipantVerified:
    """A member texted their code and is now active."""

    chat_uid: str | None
    member: Member


@dataclass(frozen=True, slots=True)
class ChatActivated:
    """Every member verified: the chat is `active` and accepts sends."""

    chat: Chat


@dataclass(frozen=True, slots=True)
class ChatFailed:
    """The chat became `failed`; recovery is delete and recreate."""

    chat_uid: str | None
    reason: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class MessagesSkipped:
    """A catch-up stopped before reaching the messages the consumer already had.

    The stream caps each catch-up (a long outage in a busy chat, or a server
    whose history never ends) and continues live from the newest messages it
    fetched; messages older than those were not delivered. A view says so
    and may offer to load them from history. `oldest_kept` is the oldest
    message this catch-up delivered for the chat: the missing ones are just
    older than it (None when it delivered none).
    """

    chat_uid: str | None
    oldest_kept: str | None = None


StreamEvent = (
    ConnectionChanged
    | MessagesArrived
    | MessagesSkipped
    | MessageStatusChanged
    | ParticipantVerified
    | ChatActivated
    | ChatFailed
)
