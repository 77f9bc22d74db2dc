"""`PromptScreen`: a screen whose next frame comes at the next tick after a slow one, not the tick after that.

Textual paints a screen from a timer that ticks 60 times a second and pauses
while nothing changed. When a frame takes longer than a tick (a conversation
scrolling in thirty new lines while messages pour in), the timer skips the
ticks it missed, and one more: its count of missed ticks is one too high
(Textual 8.2.8, `Timer._run`). Whatever changed meanwhile (a typed key) then
waited up to two ticks after that frame instead of up to one: measured in a
burst of messages, keys waited 50 ms from one frame's start to the next.
`FrameTimer` is that timer with the count right; `PromptScreen` paints with it.

A frame that changed part of the screen (a typed key: the editor's line) is
drawn by Textual's compositor from every widget whose clip meets the changed
area, each drawn whole: at 120x40, a key's frame drew the screen's background,
the sidebar, the pane, the status bar, the footer and every line of the
conversation, to keep the editor's two lines. `ChangedRowsCompositor` draws
only the widgets that meet a changed region, and only those rows.

Textual restyles every widget of a screen each time it resumes (comes to the
top), to catch up on whatever changed while it lay under another. The first
time is as it is shown, right after its widgets were styled as they were
mounted: before the main screen's first frame that was every widget styled
twice (a chat list's fourteen component classes with it), for nothing.
`PromptScreen` skips that first restyle; later resumes restyle as Textual does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from textual import _time, events
from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.screen import UPDATE_PERIOD, Screen
from textual.strip import Strip
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


class ChangedRowsCompositor(Compositor):
    """Textual's compositor, drawing for a partial update only the rows of each widget that a changed region meets.

    Textual's draws every widget whose clip meets the union of the changed
    regions, and each widget whole (most lines from caches, each still cut,
    filtered and split into the screen's chops), then keeps only the changed
    lines. A widget's chops on a changed line are drawn in full as before
    (every column of it it shows), so each line is put together as before.
    """

    _changed: list[Region] | None = None  # during a partial update: the regions it repaints

    def render_partial_update(self) -> ChopsUpdate | None:
        self._changed = list(self._dirty_regions)
        try:
            return super().render_partial_update()
        finally:
            self._changed = None

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        changed = self._changed
        if changed is None or crop is None:
            yield from super()._get_renders(crop)
            return
        for widget, (region, clip) in self.visible_widgets.items():
            shown = region.intersection(clip)
            if not shown:
                continue
            # The rows of this widget that changed regions meet, as runs of rows.
            runs = sorted(
                (meet.y, meet.bottom) for meet in (shown.intersection(area) for area in changed) if meet
            )
            merged: list[list[int]] = []
            for top, bottom in runs:
                if merged and top <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], bottom)
                else:
                    merged.append([top, bottom])
            for top, bottom in merged:
                rows = Region(shown.x, top, shown.width, bottom - top)
                # As Textual yields them: the widget's region, where it is cut, its lines there.
                yield region, rows, widget.render_lines(Region(rows.x - region.x, top - region.y, rows.width, rows.height))


class PromptScreen(Screen[ResultType]):
    """A `Screen` painted by a `FrameTimer` and a `ChangedRowsCompositor`: after a slow frame, the
    next one is never a tick late, and a frame draws only the rows that changed."""

    _frame_timer: FrameTimer | None = None
    _resumed = False  # resumed once already (see `_on_screen_resume`)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._compositor = ChangedRowsCompositor()

    @property
    def _update_timer(self) -> Timer:
        # Textual's property, making a FrameTimer where it calls `set_interval`.
        if self._frame_timer is None:
            timer = FrameTimer(self, UPDATE_PERIOD, name="screen_update", callback=self._on_timer_update, pause=True)
            timer._start()
            self._timers.add(timer)
            self._frame_timer = timer
        return self._frame_timer

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Textual's own handler (Screen._on_screen_resume, 8.2.8), which restyles every
        # widget of the screen when `refresh_styles` is set (always, when a screen is pushed or
        # switched to). On the first resume nothing can have changed since the widgets were
        # styled as they were registered: a class or pseudo-class change, focus and a theme
        # change each restyle what they touch at once.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False
