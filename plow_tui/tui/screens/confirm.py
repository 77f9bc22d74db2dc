"""A yes/no question before something that cannot be undone."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from plow_tui.terminal_text import safe_text


class ConfirmScreen(ModalScreen[bool]):
    """Asks `question`; dismisses with True only for the confirming button (or `y`).

    The safe button has the focus, so a reflex Enter cancels; `←`/`→` (or Tab)
    move between the buttons, and `y` confirms in one key.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
        Binding("left", "app.focus_previous", "Previous button", show=False),
        Binding("right", "app.focus_next", "Next button", show=False),
    ]

    def __init__(self, question: str, verb: str) -> None:
        super().__init__()
        self._question = question
        self._verb = verb

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            # A Static wraps (a Label would cut the sentence at the dialog's edge); it quotes a chat's title.
            yield Static(safe_text(self._question), markup=False, id="question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._verb, variant="error", id="yes")
                yield Button("Cancel", id="no")
            yield Static(f"y {self._verb} · n or Esc Cancel · ← → choose", markup=False, classes="hint")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
