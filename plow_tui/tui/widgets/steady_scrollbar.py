"""`SteadyScrollBar`: a scrollbar that repaints only when what it draws changes."""

from __future__ import annotations

from collections.abc import Callable, Collection
from math import ceil
from typing import Any, Self

from textual.geometry import Region
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widget import Widget


class SteadyScrollBar(ScrollBar):
    """Textual's scrollbar, minus the repaints that change nothing on screen.

    Textual repaints a scrollbar (a whole column of cells, through the full
    styling pipeline) whenever its window moves, even by less than the eighth
    of a cell it can draw. A long conversation following its newest message
    moves it by a sliver of that per message, so every frame of a burst redrew
    the column for nothing: about a third of the frame, where the keys typed
    meanwhile wait. What the bar draws depends on the thumb's ends in eighths
    of a cell, its size, its state and its colours: while none of them
    changed, the lines drawn last are drawn again.
    """

    _drawn: tuple[object, ...] | None = None
    _whole: tuple[object, ...] | None = None  # how the bar looked when last drawn whole (None: not as on screen)
    _strips: list[Strip] = []

    def __init__(self, *args: Any, held: Callable[[], bool] = lambda: False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # True while the widget it scrolls holds its repaints back (see `Conversation.typing`):
        # the bar is drawn with that repaint, not a frame of its own before it.
        self._held = held

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        if repaint and not (layout or recompose) and self._held():
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _thumb(self) -> tuple[int, int] | None:
        """The thumb's first and last eighth of a cell, as `ScrollBarRender.render_bar` computes them."""
        size = self.size.height if self.vertical else self.size.width
        virtual = ceil(self.window_virtual_size)
        window = ceil(self.window_size) if self.window_size < self.window_virtual_size else 0
        if not (window and size and virtual and size != virtual):
            return None
        eighths = len(self.renderer.VERTICAL_BARS if self.vertical else self.renderer.HORIZONTAL_BARS)
        thumb = max(1, window / (virtual / size))
        start = int((size - thumb) * (self.position / (virtual - window)) * eighths)
        return start, start + ceil(thumb * eighths)

    def _looks(self) -> tuple[object, ...]:
        parent = self.parent
        colours: tuple[object, ...] = ()
        if isinstance(parent, Widget):
            styles = parent.styles
            colours = (
                styles.scrollbar_color, styles.scrollbar_background,
                styles.scrollbar_color_hover, styles.scrollbar_background_hover,
                styles.scrollbar_color_active, styles.scrollbar_background_active,
                parent.background_colors,
            )
        return (self._thumb(), self.size, self.grabbed, self.mouse_over, self.app.theme, colours)

    def _exchange_repaint_regions(self) -> Collection[Region]:
        # Asked when the frame is drawn: a bar that would draw what it drew has
        # nothing to repaint. Otherwise the compositor cut and encoded its whole
        # column and every row of the conversation beside it again (a frame of
        # its own for each message of a burst, 6 ms at 120x40).
        regions = super()._exchange_repaint_regions()
        if regions and self._whole is not None and self._whole == self._looks():
            return ()
        return regions

    def render_lines(self, crop: Region) -> list[Strip]:
        # Decided here, when the frame is drawn, not when a refresh is asked for:
        # one frame often moves the window back and forth (the lines grow, then
        # the view follows them), and only where it ends is drawn.
        looks = self._looks()
        drawn = (looks, crop)
        if drawn != self._drawn:
            self._strips = super().render_lines(crop)
            self._drawn = drawn
        # A frame may draw a few rows of the bar (another widget changed there): the
        # bar on screen is then as drawn whole last only if it looks the same.
        if crop == self.size.region:
            self._whole = looks
        elif looks != self._whole:
            self._whole = None
        return self._strips
