"""The footer every screen shows: the keys that work where the focus is."""

from __future__ import annotations

from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's footer in its compact form: at 80 columns every space counts."""

    def __init__(self) -> None:
        super().__init__(compact=True)
