"""The screen's frame timer: after a slow frame, the next one comes at the next tick, not the one after."""

from __future__ import annotations

import time

from textual import _time
from textual.app import App
from textual.timer import Timer

from plow_tui.tui.screens.frames import FrameTimer, PromptScreen

INTERVAL = 0.2  # long: the slow tick ends half a tick from either grid point, whatever the machine's jitter


async def ticks_after_a_slow_one(timer_class: type[Timer]) -> float:
    """In ticks: from a tick that overran its interval (ending half-way through the next one) to the tick after it.

    A loaded machine can stall the loop past the half-way point (the first tick
    itself coming late, say while the app still starts): that measurement says
    nothing about the count, so it is taken again (the stall is seen, not guessed).
    """
    for _ in range(5):
        ticks = await _measure(timer_class)
        if ticks is not None:
            return ticks
    raise AssertionError("every measurement was stalled past half a tick")


async def _measure(timer_class: type[Timer]) -> float | None:
    """One measurement; None if the slow tick did not end within a quarter tick of its half-way point."""
    scheduled: list[float] = []
    ended: list[float] = []

    class Probe(timer_class):  # type: ignore[misc, valid-type]
        async def _tick(self, *, next_timer: float, count: int) -> None:
            scheduled.append(next_timer)  # the grid point the tick was for
            await super()._tick(next_timer=next_timer, count=count)

    def tick() -> None:
        if len(scheduled) == 1:
            time.sleep(max(0.0, scheduled[0] + 1.5 * INTERVAL - _time.get_time()))  # a frame longer than a tick
            ended.append(_time.get_time())

    app = App[None]()
    async with app.run_test() as pilot:
        await pilot.pause()  # the app started: its start-up is not in the measurement
        timer = Probe(app, INTERVAL, callback=tick)
        timer._start()
        try:
            while len(scheduled) < 2:
                await pilot.pause(INTERVAL / 10)
        finally:
            timer.stop()
    if abs(ended[0] - scheduled[0] - 1.5 * INTERVAL) > INTERVAL / 4:
        return None
    return round((scheduled[1] - scheduled[0]) / INTERVAL, 3)


async def test_after_a_slow_tick_the_next_comes_at_the_next_tick_ahead() -> None:
    # The slow tick ends 1.5 ticks after its grid point: the first one still ahead is at 2.
    assert await ticks_after_a_slow_one(FrameTimer) == 2


async def test_textuals_own_timer_loses_a_tick_there() -> None:
    # Why FrameTimer exists (Textual 8.2.8): if this starts failing, Textual fixed it and FrameTimer can go.
    assert await ticks_after_a_slow_one(Timer) == 3


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


class _Terminal:
    """The cells a terminal would show after every update the app wrote (text and style per cell)."""

    def __init__(self, width: int, height: int) -> None:
        self.cells = [[("", "")] * width for _ in range(height)]

    def write(self, update: object, console: object) -> None:
        from rich.cells import cell_len
        from rich.segment import ControlType

        x = y = 0
        for segment in console.render(update):  # type: ignore[attr-defined]
            if segment.control:
                for code in segment.control:
                    if code[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = code[1], code[2]
                continue
            if segment.text == "\n":
                x, y = 0, y + 1
                continue
            for char in segment.text:
                width = cell_len(char)
                if y < len(self.cells) and x < len(self.cells[y]):
                    self.cells[y][x] = (char, str(segment.style or ""))
                x += width

    @staticmethod
    def of(strips: list, width: int) -> list[list[tuple[str, str]]]:
        from rich.cells import cell_len

        cells = []
        for strip in strips:
            row = [("", "")] * width
            x = 0
            for segment in strip:
                for char in segment.text:
                    if x < width:
                        row[x] = (char, str(segment.style or ""))
                    x += cell_len(char)
            cells.append(row)
        return cells


async def test_partial_frames_leave_the_screen_as_a_full_frame_draws_it() -> None:
    # ChangedRowsCompositor draws only the rows that changed: what a terminal shows after
    # the typed keys, arriving messages, chat rows and scrolling must be what a full frame draws.
    from plow_tui.client import events as ev
    from plow_tui.tui.plow.chat_feed import ChatFeed
    from support import demo_data
    from support.screenshots import main_screen, open_chat, wait_for

    size = (100, 30)
    app = demo_data.chats_app()
    terminal = _Terminal(*size)
    partial: list[int] = []
    display = app._display

    def _display(screen: object, renderable: object) -> None:
        display(screen, renderable)  # type: ignore[arg-type]
        if renderable is not None:
            terminal.write(renderable, app.console)
            partial.append(type(renderable).__name__ == "ChopsUpdate")

    app._display = _display  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        screen = await main_screen(pilot)
        assert isinstance(screen, PromptScreen)
        pane = await open_chat(pilot, screen, "cht_ada")

        async def same() -> None:
            def settled() -> bool:
                return not (screen._dirty_widgets or screen._compositor._dirty_regions or screen._repaint_required
                            or pane.conversation._repaint_is_held() or screen._layout_required)

            await wait_for(pilot, settled, what="every change painted")
            await pilot.pause()
            assert terminal.cells == _Terminal.of(screen._compositor.render_strips(), size[0])

        await same()
        painted = len(partial)
        await pilot.press(*"hello")
        await same()
        screen.query_one(ChatFeed).post_message(ChatFeed.Event(ev.MessagesArrived(demo_data.BOB_ARRIVALS)))
        await wait_for(pilot, lambda: screen.query_one("ChatList").get_chat("cht_bob").unread == 2, what="two unread")
        await same()
        await pilot.press("escape", "k", "k", "k")
        await same()
        await pilot.press("tab", "down", "down")
        await same()
        assert any(partial[painted:]), "partial frames were drawn"
