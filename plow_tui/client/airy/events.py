"""What an Airy conversation reports, as plain dataclasses (the TUI turns them into messages).

The socket's state is the Plow stream's own `ConnectionChanged` (same states:
connecting, live, reconnecting, offline), so one status bar serves both
backends. A stream that stopped for good says `offline` with no `retry_in`,
then raises why (see `AiryStream`): no event carries a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from plow_tui.client.airy.models import AiryMessage
from plow_tui.client.events import ConnectionChanged


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
    """The saved conversation was refused and a new one began: tell the user.

    The old conversation's messages stay in `AiryConversation.messages`; the
    new one's follow them.
    """

    notice: str


AiryEvent = ConnectionChanged | AiryMessagesArrived | AiryMessageUpdated | AiryConversationRestarted


def is_final(event: AiryEvent) -> bool:
    """True for the last event of a stream: `offline` with no retry planned (an error may follow, raised)."""
    return isinstance(event, ConnectionChanged) and event.state == "offline" and event.retry_in is None
