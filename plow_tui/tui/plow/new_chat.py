"""New chat: pick a line, name the members, create it (the seed's alternate flow).

The created chat comes back to the main screen with each member's
`VERIFY-` code, which the server shows only once; the chat's pane keeps
showing the codes, the number and a QR code until everyone has verified.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static

from plow_tui.tui.widgets.footer import KeyFooter

from plow_tui.client.errors import PlowError
from plow_tui.client.models import Chat, Line
from plow_tui.terminal_text import error_text, safe_line
from plow_tui.tui.plow.views import format_number

if TYPE_CHECKING:
    from plow_tui.client.http import PlowClient

MAX_NAME = 255


def line_label(line: Line) -> str:
    name = safe_line(line.display_name or "Line")
    return f"{name}  {format_number(line.provider_key)}"


def line_choice(line: Line, chosen: bool) -> Text:
    """A line as the picker shows it: `◉` marks the chosen one, so it shows without colour too."""
    return Text.assemble(("◉ " if chosen else "○ "), line_label(line))


class NewChatScreen(ModalScreen[Chat | None]):
    """A line picker, one input per member, Create / Cancel.

    The line picker is an `OptionList` whose highlighted line is the chosen
    one: the first `↓` picks the next line (a `RadioSet` only moved a
    highlight that looked like its colour-only choice). Create and Cancel are
    docked under the fields, so they stay on screen when the fields scroll.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+n", "add_member", "Add member"),  # not ctrl+a: that is Home in an Input
    ]

    @dataclass
    class LinesLoaded(Message):
        lines: list[Line]

    @dataclass
    class CreateFailed(Message):
        error: PlowError

    def __init__(self, api: PlowClient) -> None:
        super().__init__()
        self._api = api
        self._lines: list[Line] = []
        self._line_index = 0  # the first line unless another is picked

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="new-chat"):
            yield Label("New chat", classes="dialog-title")
            yield Label("Line", classes="field-label")
            yield OptionList(id="lines")
            yield Static("Loading lines…", id="lines-note", classes="muted")
            yield Label("Members", classes="field-label")
            with Vertical(id="members"):
                yield Input(placeholder="member's name, e.g. Sarah", max_length=MAX_NAME, classes="member", compact=True)
            yield Button("+ add member", id="add", variant="default", compact=True)
            yield Static("", id="error", classes="error")
            with Horizontal(classes="dialog-buttons", id="new-chat-buttons"):
                yield Button("Create", id="create", variant="primary", disabled=True, compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield KeyFooter()  # this dialog's keys, not the main screen's

    def on_mount(self) -> None:
        self.query_one(".member", Input).focus()
        self._load_lines()

    @work(exclusive=True, group="lines", exit_on_error=False)
    async def _load_lines(self) -> None:
        try:
            lines = await self._api.lines()
        except PlowError as error:
            self.post_message(self.CreateFailed(error))
            return
        self.post_message(self.LinesLoaded(lines))

    @work(exclusive=True, group="create", exit_on_error=False)
    async def _create(self, line_uid: str, names: list[str]) -> None:
        try:
            chat = await self._api.create_chat(line_uid, names)
        except PlowError as error:
            self.post_message(self.CreateFailed(error))
            return
        self.dismiss(chat)

    @on(LinesLoaded)
    async def _lines_loaded(self, message: LinesLoaded) -> None:
        self._lines = message.lines
        self._line_index = 0
        picker = self.query_one("#lines", OptionList)
        picker.set_options(line_choice(line, index == 0) for index, line in enumerate(message.lines))
        picker.display = bool(message.lines)
        if message.lines:
            picker.highlighted = 0
        note = self.query_one("#lines-note", Static)
        note.display = not message.lines
        note.update("This account has no lines." if not message.lines else "")
        self.query_one("#create", Button).disabled = not message.lines

    @property
    def chosen_line(self) -> Line | None:
        """The line the chat would be created on (None until the lines are loaded)."""
        return self._lines[self._line_index] if self._line_index < len(self._lines) else None

    @on(OptionList.OptionHighlighted, "#lines")
    def _line_picked(self, event: OptionList.OptionHighlighted) -> None:
        picker = event.option_list
        before, self._line_index = self._line_index, event.option_index
        for index in {before, self._line_index}:
            if index < len(self._lines):
                picker.replace_option_prompt_at_index(index, line_choice(self._lines[index], index == self._line_index))

    @on(OptionList.OptionSelected, "#lines")
    def _line_entered(self) -> None:
        self.focus_next()  # Enter on a line: on to the members

    @on(CreateFailed)
    def _create_failed(self, message: CreateFailed) -> None:
        self.query_one("#error", Static).update(Text(f"Could not create the chat: {error_text(message.error)}"))
        self.query_one("#create", Button).disabled = not self._lines

    def _member_names(self) -> list[str]:
        return [box.value.strip() for box in self.query(".member").results(Input) if box.value.strip()]

    async def action_add_member(self) -> None:
        box = Input(placeholder="another member's name", max_length=MAX_NAME, classes="member", compact=True)
        # Focus only once mounted: focusing a widget still being mounted does nothing.
        await self.query_one("#members", Vertical).mount(box)
        box.focus()
        # Focus alone does not scroll the dialog once it is full (80x24): bring the new box into view.
        self.call_after_refresh(box.scroll_visible, animate=False)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, ".member")
    def _name_submitted(self) -> None:
        self._try_create()

    @on(Button.Pressed)
    async def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add":
            await self.action_add_member()
        elif event.button.id == "create":
            self._try_create()
        elif event.button.id == "cancel":
            self.dismiss(None)

    def _try_create(self) -> None:
        error = self.query_one("#error", Static)
        names = self._member_names()
        if not self._lines:
            error.update("There is no line to create the chat on.")
            return
        if not names:
            error.update("Name at least one member.")
            return
        error.update("Creating…")
        self.query_one("#create", Button).disabled = True
        self._create(self._lines[self._line_index].uid, names)
