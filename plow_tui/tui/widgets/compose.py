"""The message editor under a conversation: Enter sends, Alt+Enter or Ctrl+J adds a line, Esc leaves."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

PLACEHOLDER = "type a message (Enter send · Ctrl+J newline)"

# Terminals without the kitty keyboard protocol send Alt+Enter as a plain
# Enter, so Ctrl+J is the newline key that works everywhere.
_NEWLINE_KEYS = frozenset({"alt+enter", "ctrl+j", "shift+enter"})


class Compose(TextArea):
    """A growing, soft-wrapping editor that posts `Submitted` on Enter.

    It never sends anything itself: the screen decides whether a send is
    accepted and clears the draft (`draft = ""`) once it is. While
    `disabled_reason` is set, the reason replaces the placeholder and Enter
    explains it instead of submitting; typing a draft still works.
    """

    # While someone types, letters are text: Esc is the way out to the
    # messages, where the one-letter keys work (the footer says so).
    BINDINGS = [Binding("escape", "leave", "Messages")]

    DEFAULT_CSS = """
    Compose {
        height: auto;
        min-height: 1;
        max-height: 5;
        border: none;
        padding: 0 1;
        &:focus { border: none; }
    }
    """

    @dataclass
    class Submitted(Message):
        """The reader pressed Enter on a non-blank draft."""

        compose: Compose
        text: str

        @property
        def control(self) -> Compose:
            return self.compose

    def __init__(
        self,
        text: str = "",
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            text,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            placeholder=PLACEHOLDER,
            name=name,
            id=id,
            classes=classes,
        )
        self._disabled_reason: str | None = None

    @property
    def draft(self) -> str:
        """The text being written (kept per chat by the screen)."""
        return self.text

    @draft.setter
    def draft(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)

    @property
    def disabled_reason(self) -> str | None:
        """Why sending isn't possible right now (None when it is)."""
        return self._disabled_reason

    @disabled_reason.setter
    def disabled_reason(self, reason: str | None) -> None:
        self._disabled_reason = reason or None
        self.placeholder = self._disabled_reason or PLACEHOLDER

    def on_mount(self) -> None:
        # The app's choice (off for snapshots and screenshots: a blinking cursor is a coin toss in a picture).
        self.cursor_blink = getattr(self.app, "cursor_blink", True)

    def action_leave(self) -> None:
        """Focus the conversation above (the widget before this one in its pane)."""
        from plow_tui.tui.widgets.conversation import Conversation

        parent = self.parent
        above = parent.query_children(Conversation).first() if parent is not None else None
        if above is not None and above.focusable:
            above.focus()
        else:
            self.screen.focus_previous()

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._submit()
            return
        if event.key in _NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            if not self.read_only:
                start, end = self.selection
                self.replace("\n", start, end, maintain_selection_offset=False)
            return
        await super()._on_key(event)

    def _submit(self) -> None:
        text = self.text.strip()
        if not text:
            return
        if self._disabled_reason:
            self.notify(self._disabled_reason, severity="warning", timeout=3)
            return
        self.post_message(self.Submitted(self, text))
