"""The screen's frame timer: after a slow frame, the next one comes at the next tick, not the one after."""

from __future__ import annotations

import time

from textual.app import App
from textual.timer import Timer

from plow_tui.tui.screens.frames import FrameTimer, PromptScreen

INTERVAL = 0.2  # long, so a busy machine's jitter cannot pass for a lost tick


async def ticks_after_a_slow_one(timer_class: type[Timer]) -> float:
    """Seconds from the start of a tick that overran its interval to the start of the next tick."""
    started: list[float] = []

    def tick() -> None:
        started.append(time.perf_counter())
        if len(started) == 1:
            time.sleep(INTERVAL * 1.2)  # a frame longer than a tick

    app = App[None]()
    async with app.run_test() as pilot:
        timer = timer_class(app, INTERVAL, callback=tick)
        timer._start()
        try:
            while len(started) < 2:
                await pilot.pause(INTERVAL / 10)
        finally:
            timer.stop()
    return started[1] - started[0]


async def test_after_a_slow_tick_the_next_comes_at_the_next_tick_ahead() -> None:
    # The slow tick ends 1.2 intervals after it began: the first tick still ahead is at 2.
    gap = await ticks_after_a_slow_one(FrameTimer)
    assert 1.9 * INTERVAL <= gap < 2.5 * INTERVAL, gap / INTERVAL


async def test_textuals_own_timer_loses_a_tick_there() -> None:
    # Why FrameTimer exists (Textual 8.2.8): if this starts failing, Textual fixed it and FrameTimer can go.
    gap = await ticks_after_a_slow_one(Timer)
    assert gap >= 2.9 * INTERVAL, gap / INTERVAL


async def test_a_prompt_screen_paints_with_a_frame_timer() -> None:
    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(PromptScreen())

    app = Host()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        assert isinstance(app.screen._update_timer, FrameTimer)
        app.screen.refresh()
        await pilot.pause()  # it paints (the timer runs and pauses again)
        assert not app.screen._update_timer._active.is_set()
