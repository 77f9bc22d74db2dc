"""The message editor under a conversation: Enter sends, Alt+Enter or Ctrl+J adds a line, Alt+E opens
your own editor, Esc leaves."""

from __future__ import annotations

import os
from dataclasses import dataclass

from textual import events
from textual.app import SuspendNotSupported
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widgets import TextArea

from plow_tui.terminal_text import safe_line
from plow_tui.tui.external_editor import edit_text, editor_command

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
    # Alt+E (nchat's key): Ctrl+E is the editor's own end-of-line.
    BINDINGS = [
        Binding("escape", "leave", "Messages"),
        Binding("alt+e", "external_editor", "Editor", tooltip="Write this text in your own editor (VISUAL, then EDITOR)"),
    ]

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

    # What the theme's styles were worked out from last (see `render_lines`).
    _styled_from: tuple[object, ...] | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        """TextArea's lines, its theme's styles worked out again only when a style they come from changed.

        TextArea works them out from the CSS at every render (the editor's own
        style and six of its component styles, each a walk up the ancestors):
        a third of the frame that paints a typed key. They change only with the
        CSS of the editor or an ancestor (focus, a new theme), which Textual
        counts in each styles' update count, or with a new TextArea theme.
        """
        theme = self._theme
        if theme is not None:
            source = (
                theme,
                self.app.theme,
                [node.styles._cache_key for node in self.ancestors_with_self],
                [styles._cache_key for styles in self._component_styles.values()],
            )
            last = self._styled_from
            if last is None or last[0] is not theme or last[1:] != source[1:]:
                theme.apply_css(self)
                self._styled_from = source
        return super(TextArea, self).render_lines(crop)  # TextArea's own applies them again

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

    def action_external_editor(self) -> None:
        """Hand the terminal to `$VISUAL`/`$EDITOR` with the draft; what it saves becomes the draft."""
        command = editor_command(os.environ)
        if command is None:
            self.notify("Set VISUAL or EDITOR to write in your own editor.", severity="warning", timeout=4)
            return
        failure: str | None = None
        try:
            with self.app.suspend():
                # Everything inside: an exception leaving the block would skip Textual's resume.
                try:
                    edited = edit_text(self.text, command)
                except OSError as error:
                    edited, failure = None, f"Could not start {command[0]}: {error.strerror or error}"
        except SuspendNotSupported:
            self.notify("This terminal cannot hand over to an editor.", severity="warning", timeout=4)
            return
        if edited is not None:
            self.draft = edited
        elif failure is None:
            failure = f"{command[0]} exited with an error; the draft is unchanged."
        if failure is not None:
            self.notify(safe_line(failure), severity="warning", timeout=5)
        self.focus()

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._submit()
            return
        if event.key == "alt+e":
            # A terminal's Alt+E comes with the character "e", which TextArea would type before the binding ran.
            event.stop()
            event.prevent_default()
            self.action_external_editor()
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
