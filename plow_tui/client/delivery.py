"""Delivery states of outbound messages, and the one rule for combining them.

Both the app and the local store apply it, so a late or replayed answer (an
echo saying `sent` after `delivered`) never moves a message backwards.
"""

from __future__ import annotations

# In the order they happen; an unknown new value ranks with `sent`.
_STATE_ORDER = {"sending": 0, "waiting": 0, "unknown": 1, "sent": 2, "delivered": 3, "failed": 3}


def later_state(old: str | None, new: str | None) -> str | None:
    """The state to show when `new` arrives for a message showing `old`."""
    if old is None or new is None:
        return new or old
    return new if _STATE_ORDER.get(new, 2) >= _STATE_ORDER.get(old, 2) else old
