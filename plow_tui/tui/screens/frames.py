"""`PromptScreen`: a screen whose next frame comes at the next tick after a slow one, not the tick after that.

Textual paints a screen from a timer that ticks 60 times a second and pauses
while nothing changed. When a frame takes longer than a tick (a conversation
scrolling in thirty new lines while messages pour in), the timer skips the
ticks it missed, and one more: its count of missed ticks is one too high
(Textual 8.2.8, `Timer._run`). Whatever changed meanwhile (a typed key) then
waited up to two ticks after that frame instead of up to one: measured in a
burst of messages, keys waited 50 ms from one frame's start to the next.
`FrameTimer` is that timer with the count right; `PromptScreen` paints with it.
"""

from __future__ import annotations

from typing import TypeVar

from textual import _time
from textual.screen import UPDATE_PERIOD, Screen
from textual.timer import EventTargetGone, Timer

ResultType = TypeVar("ResultType")


class FrameTimer(Timer):
    """Textual's repeating `Timer`, skipping only the ticks that are already past when it falls behind."""

    async def _run(self) -> None:
        # Textual's loop (repeat forever, skip when late), with the first tick ahead counted right.
        count = 0
        interval = self._interval
        self._active  # noqa: B018 - made in this task, as Textual's loop does
        await self._active.wait()
        start = _time.get_time()
        while True:
            next_tick = start + (count + 1) * interval
            now = _time.get_time()
            if next_tick < now:
                count = int((now - start) / interval)  # Textual adds one here: a whole tick lost
                next_tick = start + (count + 1) * interval
            await _time.sleep(max(0.0, next_tick - now))
            count += 1
            await self._active.wait()
            if self._reset:
                start = _time.get_time()
                count = 0
                self._reset = False
                continue
            try:
                await self._tick(next_timer=next_tick, count=count)
            except EventTargetGone:
                break


class PromptScreen(Screen[ResultType]):
    """A `Screen` painted by a `FrameTimer`: after a slow frame, the next one is never a tick late."""

    _frame_timer: FrameTimer | None = None

    @property
    def _update_timer(self) -> Timer:
        # Textual's property, making a FrameTimer where it calls `set_interval`.
        if self._frame_timer is None:
            timer = FrameTimer(self, UPDATE_PERIOD, name="screen_update", callback=self._on_timer_update, pause=True)
            timer._start()
            self._timers.add(timer)
            self._frame_timer = timer
        return self._frame_timer
