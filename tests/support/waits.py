"""Waiting on the thing itself: the one home of the suite's polling helpers.

Tests never sleep for a fixed time to let something happen; they poll the
condition (focus, text on screen, a server state, workers done) with a
generous overall timeout, so a busy machine makes them slower, not red.
`WAIT` is that timeout unless a test says otherwise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from plow_tui.tui.screenshots import wait_for as pilot_wait_for

class TimedOut(AssertionError):
    """A waited-for thing did not happen in time (a test failure, not an error)."""


WAIT = 20.0  # seconds for any one thing to happen
STEP = 0.02  # seconds between two looks


def wait_until(condition: Callable[[], Any], what: str, timeout: float = WAIT, step: float = 0.05) -> Any:
    """Block until `condition()` is truthy and return it; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimedOut(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


async def eventually(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """`wait_until` for async code without a pilot: polls while the event loop keeps running."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimedOut(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(STEP)


async def until(pilot: Any, condition: Callable[[], Any], what: str = "condition", timeout: float = WAIT) -> Any:
    """Let the app run (pilot pauses) until `condition()` is truthy and return it; fail naming `what`."""
    return await pilot_wait_for(pilot, condition, timeout, what)


async def settled(pilot: Any) -> None:
    """Every worker of the app finished and the messages they posted handled (harlequin's `wait_for_workers`)."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def focused(pilot: Any, widget_type: type, timeout: float = WAIT) -> Any:
    """Wait until a `widget_type` has focus (typing before that loses keys) and return it."""
    return await until(pilot, lambda: isinstance(pilot.app.focused, widget_type) and pilot.app.focused, f"{widget_type.__name__} focused", timeout)
