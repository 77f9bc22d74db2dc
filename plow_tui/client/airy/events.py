"""What an Airy conversation reports, as plain dataclasses (the TUI turns them into messages)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from plow_tui.client.airy.errors import AiryError
from plow_tui.client.airy.models import AiryMessage


class ConnectionState(enum.Enum):
    """Where the socket stands; `CLOSED` is final."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class AiryConnectionChanged:
    """The socket changed state; `detail` says why, in words fit for a status bar."""

    state: ConnectionState
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class AiryMessagesArrived:
    """New messages, oldest first, each id once per conversation.

    `backfill` is True for history (at start and after a reconnect): a
    batch to apply at once, not a notification per message.
    """

    messages: tuple[AiryMessage, ...]
    backfill: bool = False


@dataclass(frozen=True, slots=True)
class AiryMessageUpdated:
    """A known message came back with another delivery state."""

    message: AiryMessage


@dataclass(frozen=True, slots=True)
class AiryConversationRestarted:
    """The saved conversation was refused and a new one began: tell the user."""

    notice: str


@dataclass(frozen=True, slots=True)
class AiryStreamFailed:
    """The stream cannot go on (channel gone, bad channel id); a CLOSED state follows."""

    error: AiryError


AiryEvent = (
    AiryConnectionChanged | AiryMessagesArrived | AiryMessageUpdated | AiryConversationRestarted | AiryStreamFailed
)
