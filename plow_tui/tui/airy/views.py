"""Airy resources turned into the backend-neutral view models the widgets draw.

The conversation pane only knows `Entry`: the visitor (us) is outbound and
called "you"; an agent is inbound and called by the name the server gives.
"""

from __future__ import annotations

from datetime import datetime

from plow_tui.client.airy.models import AiryMessage
from plow_tui.tui.widgets.view_models import Entry

# Airy's delivery states as the pane's marks: the Chat Plugin stores a
# visitor's message as `delivered`; `pending` is on the server, not yet out.
_STATES = {"pending": "sent", "delivered": "delivered", "failed": "failed"}

AGENT = "agent"


def airy_author(message: AiryMessage) -> str:
    """`you` for the visitor's messages, else the agent's name (or `agent`)."""
    if message.from_contact:
        return "you"
    return message.sender_name or AGENT


def airy_entry(message: AiryMessage, fallback_time: datetime) -> Entry:
    """An `Entry` for `message`; `fallback_time` stands in for a missing `sent_at`."""
    state = None
    if message.from_contact:
        state = _STATES.get(message.delivery_state or "delivered", message.delivery_state)
    return Entry(
        uid=message.id,
        author=airy_author(message),
        body=message.text,
        at=message.sent_at or fallback_time,
        outbound=message.from_contact,
        state=state,
    )
