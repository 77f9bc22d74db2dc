"""A yes/no question before something that cannot be undone."""

from __future__ import annotations

from time import monotonic

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from plow_tui.terminal_text import safe_text


class ConfirmScreen(ModalScreen[bool]):
    """Asks `question`; dismisses with True only for the confirming button (or `y`).

    The safe button has the focus, so a reflex Enter cancels; `←`/`→` (or Tab)
    move between the buttons, and `y` confirms in one key, once the question
    has been there `READ_TIME_S`: a `y` sooner was typed before it could be
    read. The keys that open it are letters outside the editor, so a word
    typed with the focus elsewhere ("ready": r, e, a, d, y) would otherwise ask
    and answer in one stroke, and delete a chat.
    """

    READ_TIME_S = 0.5

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
        self._shown_at: float | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            # A Static wraps (a Label would cut the sentence at the dialog's edge); it quotes a chat's title.
            yield Static(safe_text(self._question), markup=False, id="question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._verb, variant="error", id="yes")
                yield Button("Cancel", id="no")
            yield Static(self._hint(), markup=False, classes="hint")

    def _hint(self, early: bool = False) -> str:
        if early:  # a `y` typed as the question opened: say why nothing happened, and what does
            return f"Press y again to {self._verb.lower()} (that y came as this opened) · n or Esc Cancel"
        return f"y {self._verb} · n or Esc Cancel · ← → choose"

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()
        self._shown_at = monotonic()

    @property
    def ready(self) -> bool:
        """Whether `y` answers yet (the question has been there `READ_TIME_S`)."""
        return self._shown_at is not None and monotonic() - self._shown_at >= self.READ_TIME_S

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        if yes and not self.ready:
            self.query_one(".hint", Static).update(self._hint(early=True))
            self.app.bell()
            return
        self.dismiss(yes)
