"""`ChatPanel`: one conversation as both backends show it, and `Sending`, the seam each backend fills.

The panel is a header line, an optional part of the backend's own (Plow's
verification codes), a failure line, the find bar, the `Conversation`, a
`Notice` and the `Compose` editor. What is written there goes to the panel's
`Sending`, an invisible child each backend subclasses (Plow's `Outbox`
reconciles and retries; Airy's puts a refused text back in the editor).

A `Sending` never edits the panel's widgets: it posts what became of a text
(`Placed`, `StateChanged`, `Landed`, `Withdrawn`, `Noticed`) and the panel,
its parent, applies it. It may read the conversation (what is shown, what is
selected) through the `shown` it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from plow_tui.record import replace
from plow_tui.terminal_text import safe_line
from plow_tui.tui.widgets.compose import Compose
from plow_tui.tui.widgets.conversation import Conversation
from plow_tui.tui.widgets.view_models import Entry
from plow_tui.tui.widgets.find_bar import FindBar
from plow_tui.tui.widgets.notice import Notice


class Sending(Widget):
    """One backend's way of sending a panel's texts; posts what became of each (the panel applies it)."""

    DEFAULT_CSS = "Sending { display: none; }"

    @dataclass
    class Placed(Message):
        """Show these texts at once (a "sending" placeholder, texts given back after a restart)."""

        entries: Sequence[Entry]

    @dataclass
    class StateChanged(Message):
        """A shown text's state changed (sending, unknown, failed)."""

        uid: str
        state: str

    @dataclass
    class Landed(Message):
        """The placeholder `local_uid` is on the server as `entry` (if its echo came first, the placeholder goes).

        `merge(answer_state, shown_state)`, when given, chooses the state when
        the echo is shown already (a delivery update may have come first).
        """

        local_uid: str
        entry: Entry
        merge: Callable[[str, str], str] | None = None

    @dataclass
    class Withdrawn(Message):
        """A text did not go: its placeholder goes, the text returns to the editor, `why` is said."""

        local_uid: str
        text: str
        why: str

    @dataclass
    class Noticed(Message):
        """A line about sending above the editor (None: what it said no longer applies)."""

        text: str | None

    def __init__(self, shown: Conversation) -> None:
        super().__init__()
        # Read only: what the panel shows (a send's place in it, the selected text).
        self.shown = shown

    def send(self, text: str) -> int:
        """Send `text`; how many messages it goes as."""
        raise NotImplementedError

    def submit(self, text: str) -> int:
        """Send `text` the person just wrote in the panel's editor (a backend may keep it first); how many messages."""
        return self.send(text)


class ChatPanel(Vertical):
    """Header, the backend's extra part, failure line, find bar, conversation, notice, editor; sends through `sending`."""

    # Esc from the messages closes an open search (the bar's own Esc covers its box).
    BINDINGS = [Binding("escape", "close_find", "Close search", show=False)]

    DEFAULT_CSS = """
    ChatPanel {
        height: 1fr;
        & > #header { height: 1; padding: 0 1; background: $boost; }
        & > #failure { height: auto; padding: 0 1; color: $text-error; display: none; }
        & > Conversation { height: 1fr; }
        & > Compose { border-top: solid $panel; border-title-color: $warning; }
        /* Focused, the line turns the accent colour: where the keys go shows. */
        & > Compose:focus { border-top: solid $accent; }
    }
    """

    @dataclass
    class TextSent(Message):
        """A text left the editor for `sending`, as `parts` messages (the editor is empty now)."""

        panel: ChatPanel
        parts: int

    def __init__(
        self,
        make_sending: Callable[[Conversation], Sending],
        *,
        clock: Callable[[], datetime],
        draft: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        # Made here, not in compose(): workers' answers may arrive before the
        # panel's children are mounted, and they must have somewhere to go.
        self.header_line = Static("", id="header")
        self._failure_line = Static("", id="failure")
        self.conversation = Conversation(id="conversation", clock=clock)
        self.find_bar = FindBar(self.conversation)
        self.compose_box = Compose(id="compose")
        if draft:
            self.compose_box.draft = draft  # now, not on mount: it may be read before that
        self.notice = Notice(id="notice")
        self.sending = make_sending(self.conversation)
        self._header: Text | None = None
        self._failure: str | None = None
        self._sticky_notice = False
        self._text_started = False  # see `take_typed`

    def compose(self) -> ComposeResult:
        yield self.header_line
        yield from self.compose_extra()
        yield self._failure_line
        yield self.find_bar
        yield self.conversation
        yield self.notice
        yield self.compose_box
        yield self.sending

    def compose_extra(self) -> ComposeResult:
        """What a backend shows between the header and the failure line (nothing here)."""
        yield from ()

    def on_mount(self) -> None:
        self._draw_header()
        self._draw_failure()

    # -- what the owner tells the panel ----------------------------------------------

    def show_header(self, header: Text) -> None:
        """The header line (kept until mounted)."""
        self._header = header
        if self.is_mounted:
            self._draw_header()

    def show_failure(self, text: str | None) -> None:
        """A line in the error colour about the whole conversation (None hides it)."""
        self._failure = text
        if self.is_mounted:
            self._draw_failure()

    def show_notice(self, text: str | None, *, sticky: bool = False) -> None:
        """A line above the editor that stays until it no longer applies (None hides it).

        Unlike a toast it stays, so someone who looked away still learns why
        their text is back in the editor. A `sticky` one (a restarted
        conversation) is not hidden by a later send's None.
        """
        if text is None and self._sticky_notice:
            return
        self._sticky_notice = sticky
        self.notice.show(text)

    # The lines are the panel's own, not looked up: when the app quits while a
    # panel is still mounting (just signed in), its children are gone by the
    # time its on_mount draws, and a lookup raised NoMatches on the way out.
    def _draw_header(self) -> None:
        if self._header is not None:
            self.header_line.update(self._header)

    def _draw_failure(self) -> None:
        self._failure_line.display = self._failure is not None
        self._failure_line.update(Text(safe_line(self._failure or "")))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_find":
            return self.find_bar.is_open
        return True

    def action_close_find(self) -> None:
        self.find_bar.close()

    # -- the editor and the sending ------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        if self.screen.focused is self.conversation or self._text_started:
            self.take_typed(event)

    def take_typed(self, event: events.Key) -> None:
        """A character typed outside the editor (the messages; Plow's chat list) that is no key there starts the text.

        There letters are commands (`d`, `j`, `y`, …), and a person who starts
        writing without first going to the editor (Tab, Enter) is common: a
        character no key binds is taken as the start of a text, typed into the
        editor, which takes the focus and the rest of the word.

        The rest of the word may already be on its way to where the focus was:
        a terminal hands over keys typed fast (or pasted) in one read, and the
        app sends each to the focused widget before the editor has the focus.
        Those keys are the text's too, commands or not (`k` in "ok"), until the
        focus lands somewhere other than the editor.
        """
        if not event.is_printable or not event.character:
            return
        if not self._text_started:
            if event.character.isspace() and not self.compose_box.draft:
                return  # a space starts no text; after a word typed here it is the gap before the next
            active = self.app.active_bindings.get(event.key)
            if active is not None and active.enabled:
                return  # a command here: it runs (the App checks bindings after the key bubbles up)
        event.stop()
        event.prevent_default()
        self._text_started = True
        if self.screen.focused is not self.compose_box:
            self.compose_box.focus()
        self.compose_box.insert(event.character)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is not self.compose_box:
            self._text_started = False  # the focus went elsewhere: keys are keys again

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if event.widget is self.compose_box:
            self._text_started = False  # the editor had the text and lost the focus (Esc, Tab, a click)

    @on(Compose.Changed)
    def _typed(self, message: Compose.Changed) -> None:
        # Not stopped: the owner keeps drafts from the same message. An editor
        # emptied (a text sent, a draft cleared) is no typing.
        if message.text_area is self.compose_box and self.compose_box.text:
            self.conversation.typing()  # the typed text first, messages arriving meanwhile a moment later

    @on(Compose.Submitted)
    def _submitted(self, message: Compose.Submitted) -> None:
        message.stop()
        self.conversation.done_typing()
        parts = self.sending.submit(message.text)
        self.compose_box.draft = ""
        self.conversation.scroll_to_newest()
        self.post_message(self.TextSent(self, parts))

    @on(Sending.Placed)
    def _placed(self, message: Sending.Placed) -> None:
        message.stop()
        self.conversation.add_entries(message.entries)

    @on(Sending.StateChanged)
    def _state_changed(self, message: Sending.StateChanged) -> None:
        message.stop()
        self.conversation.update_state(message.uid, message.state)

    @on(Sending.Landed)
    def _landed(self, message: Sending.Landed) -> None:
        message.stop()
        entry = message.entry
        shown = self.conversation.get(entry.uid)
        if shown is not None and message.merge is not None:
            entry = replace(entry, state=message.merge(entry.state, shown.state))
        self.conversation.replace(message.local_uid, entry)

    @on(Sending.Withdrawn)
    def _withdrawn(self, message: Sending.Withdrawn) -> None:
        message.stop()
        self.conversation.remove_entry(message.local_uid)
        compose = self.compose_box
        compose.draft = message.text if not compose.draft else f"{message.text}\n{compose.draft}"
        self.show_notice(message.why)

    @on(Sending.Noticed)
    def _noticed(self, message: Sending.Noticed) -> None:
        message.stop()
        self.show_notice(message.text)
