"""The sandbox's time: the real clock, moved forward on request.

Every deadline in the sandbox (activation codes, member codes, tickets, Airy
tokens) is checked against this clock when it is used, so `POST /sandbox/clock
{"advance_seconds": N}` makes them expire now instead of in N seconds: tests
and demos wait out a TTL without sleeping. Time only moves forward (deadlines
and message timestamps must never run backwards). Delivery delays
(`delivery_delay_ms`) are real event-loop timers and are not moved.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_ADVANCE_S = 10 * 365 * 24 * 3600.0  # one move at most: ten years


class SandboxClock:
    """Epoch seconds from `source`, plus every advance made so far; call it to read it."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self.offset = 0.0

    def __call__(self) -> float:
        return self._source() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the clock `seconds` (0 ≤ seconds ≤ ten years) forward; the new time."""
        if not 0 <= seconds <= MAX_ADVANCE_S:
            raise ValueError(f"seconds must be between 0 and {MAX_ADVANCE_S:.0f}")
        self.offset += seconds
        return self()
