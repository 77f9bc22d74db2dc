"""The footer every screen shows: the keys that work where the focus is."""

from __future__ import annotations

from textual.widgets import Footer


# Below this width the palette's tag (`^p palette`, pinned right) would push
# our own keys off the footer; the keys screen (F1) still lists Ctrl+P.
PALETTE_TAG_MIN_WIDTH = 100


class KeyFooter(Footer):
    """Textual's footer in its compact form: at 80 columns every space counts."""

    def __init__(self) -> None:
        super().__init__(compact=True)

    def on_resize(self) -> None:
        wide = self.size.width >= PALETTE_TAG_MIN_WIDTH
        if wide != self.show_command_palette:
            self.show_command_palette = wide
            self.call_after_refresh(self.recompose)  # the tag is only read when composing
