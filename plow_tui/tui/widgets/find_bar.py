"""`FindBar`: search the open conversation as you type, n/N between matches, Esc closes.

It drives a `Conversation` it is given: each change of the query highlights
the matching words (the store's rule: each word of the query starts a word
of the message, case and accents ignored) and selects the newest match.
Enter hands the keys to the conversation, where `n` / `N` step through the
matches; Esc closes the bar and clears the highlight.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from plow_tui.tui.widgets.conversation import Conversation


class FindBar(Horizontal):
    """A one-line search box over a conversation, with how many messages match."""

    DEFAULT_CSS = """
    FindBar {
        height: 1;
        display: none;
        background: $boost;
        /* `:focus` too: Input's own focus rule draws a tall border, which leaves a one-line bar no row for the text */
        & > Input, & > Input:focus { width: 1fr; height: 1; border: none; padding: 0 1; background: $boost; }
        & > Static { width: auto; padding: 0 1; color: $text-muted; }
    }
    """
    BINDINGS = [Binding("escape", "close", "Close search", show=False)]

    def __init__(self, conversation: Conversation, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.conversation = conversation

    def compose(self) -> ComposeResult:
        yield Input(placeholder="find in this chat · Enter: then n / N · Esc: close", id="find-input")
        yield Static("", id="find-count")

    @property
    def is_open(self) -> bool:
        return bool(self.display)

    def open(self, query: str = "") -> None:
        """Show the bar with `query` in it and the cursor in the box."""
        self.display = True
        box = self.query_one(Input)
        box.value = query
        box.cursor_position = len(query)
        box.focus()
        self._search(query)

    def close(self) -> None:
        self.display = False
        self.conversation.find("")
        self.conversation.focus()

    def action_close(self) -> None:
        self.close()

    @on(Input.Changed, "#find-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._search(event.value)

    @on(Input.Submitted, "#find-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.conversation.focus()  # n / N from here

    def _search(self, query: str) -> None:
        count = self.conversation.find(query)
        label = "" if not query.strip() else ("no match" if count == 0 else f"{count} match{'es' if count != 1 else ''}")
        self.query_one("#find-count", Static).update(label)
