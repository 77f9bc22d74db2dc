"""Waiting on the thing itself: the one home of the suite's polling helpers.

Tests never sleep for a fixed time to let something happen; they poll the
condition (focus, text on screen, a server state, workers done) with a
generous overall timeout, so a busy machine makes them slower, not red.
`WAIT` is that timeout unless a test says otherwise.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

from support.screenshots import wait_for as pilot_wait_for

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
    """`wait_until` for async code without a pilot: polls while the event loop keeps running.

    `condition` may be a coroutine function (a server's state read over HTTP): it is awaited each look.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimedOut(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(STEP)


async def wait_for(pilot: Any, condition: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> Any:
    """Let the app run (pilot pauses) until `condition()` is truthy and return it; fail naming `what`.

    The screenshot script's own helper, with the suite's longer timeout.
    """
    return await pilot_wait_for(pilot, condition, timeout, what)


async def until(pilot: Any, condition: Callable[[], Any], what: str = "condition", timeout: float = WAIT) -> Any:
    """`wait_for` with `what` second (the reliability tests' spelling)."""
    return await pilot_wait_for(pilot, condition, timeout, what)


async def settled(pilot: Any) -> None:
    """Every worker of the app finished and the messages they posted handled (harlequin's `wait_for_workers`)."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def focused(pilot: Any, widget_type: type, timeout: float = WAIT) -> Any:
    """Wait until a `widget_type` has focus (typing before that loses keys) and return it."""
    return await until(pilot, lambda: isinstance(pilot.app.focused, widget_type) and pilot.app.focused, f"{widget_type.__name__} focused", timeout)


# Workers that live as long as their screen (live sockets): "all workers done" means all the others.
LONG_LIVED = frozenset({"stream", "stream-one", "phone-socket", "airy-stream"})


async def workers_idle(pilot: Any, timeout: float = WAIT) -> None:
    """Every worker but the long-lived sockets finished (loading, previews, sends), and its messages handled."""
    app = pilot.app
    await until(
        pilot,
        lambda: not [w for w in app.workers if w.group not in LONG_LIVED and not w.is_finished],
        "the app's workers to finish",
        timeout,
    )
    await pilot.pause()


QUIET = 0.3  # seconds


async def nothing_more(pilot: Any, seconds: float = QUIET) -> None:
    """Give a wrong thing (a late duplicate, a second send) a moment to show up before asserting it did not.

    The one fixed pause the suite allows, and only after the awaited state was
    reached: an absence cannot be waited for. On a busy machine it can only
    make a test miss a bug, never fail a good run.
    """
    await pilot.pause(seconds)
