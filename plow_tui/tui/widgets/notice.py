"""A one-line notice above a conversation's editor (why a text is back, a restarted conversation)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from plow_tui.terminal_text import safe_line


class Notice(Static):
    """A warning line that stays until it no longer applies; hidden while empty.

    Unlike a toast it stays, so someone who looked away still learns what
    happened. Its text often comes from the network: it is never parsed as markup.
    """

    DEFAULT_CSS = """
    Notice { height: auto; padding: 0 1; color: $text-warning; display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)

    def show(self, text: str | None) -> None:
        """Show `text` on one line, or hide the notice (None or empty)."""
        self.update(Text(safe_line(text or "")))
        self.display = bool(text)
