"""The simulated phone: play a person's handset against the sandbox, on screen.

It shows the texts lines sent to one number (loaded once, then live over the
phone's socket) and texts a line from that number, so a presenter can do the
phone's part of a demo without a phone. It only works against a sandbox: the
routes are `/sandbox/...` (PROTOCOL §7).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, RichLog, Static

from plow_tui.tui.widgets.footer import KeyFooter
from textual.widgets.option_list import Option

from plow_tui.client.errors import PlowError
from plow_tui.client.numbers import DEFAULT_PHONE, normalize_phone
from plow_tui.client.phone import PhoneText
from plow_tui.terminal_text import error_text, safe_line, safe_text
from plow_tui.tui.screens.side import SideScreen
from plow_tui.tui.widgets.status_bar import Connection, StatusBar
from plow_tui.tui.widgets.text import display_time
from plow_tui.tui.plow.views import format_number

# Reconnect delays for the phone's socket, in seconds (doubling, capped).
_RETRY_FIRST = 1.0
_RETRY_MAX = 15.0


def _key(text: PhoneText) -> tuple:
    return (text.sender, text.to, text.text, text.sent_at)


class PhoneBackend(Protocol):
    """What the screen needs from a handset (`plow_tui.client.phone.SandboxPhone` is one)."""

    phone: str

    async def texts(self) -> list[PhoneText]: ...
    async def send(self, to: str, text: str) -> str: ...
    async def lines(self) -> list[str]: ...
    def live(self, on_open: Callable[[], Awaitable[None]] | None = None) -> AsyncIterator[PhoneText]: ...
    async def aclose(self) -> None: ...


PhoneFactory = Callable[[str, str], PhoneBackend]


@dataclass(frozen=True)
class Draft:
    """What the phone offers to send: a text and the line to send it to."""

    text: str = ""
    to: str = ""


_EFFECTS = {
    "activated": "The line took it: activation complete.",
    "member_verified": "The line took it: member verified.",
    "message": "Delivered to the chat.",
    "ignored": "The line ignored it (no live code or chat matched).",
}


class NumberPrompt(ModalScreen[str | None]):
    """Asks for a phone number, offering `choices`; dismisses with E.164 or None."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel")]

    def __init__(self, title: str, initial: str, choices: Sequence[str] = ()) -> None:
        super().__init__()
        self._title = title
        self._initial = initial
        self._choices = list(dict.fromkeys(choices))

    def compose(self) -> ComposeResult:
        with Vertical(id="number-prompt", classes="dialog"):
            yield Label(Text(self._title), classes="dialog-title")
            yield Input(
                self._initial,
                placeholder="+15551230002",
                id="number-input",
                select_on_focus=True,
            )
            yield Label("", id="number-error", classes="error")
            if self._choices:
                # The choices are the server's lines: shown literally.
                yield OptionList(*[Option(Text(format_number(c)), id=c) for c in self._choices], id="number-choices")
            yield Label("Enter choose · Esc cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = getattr(self.app, "cursor_blink", True)

    @on(Input.Submitted, "#number-input")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            number = normalize_phone(event.value)
        except ValueError as exc:
            self.query_one("#number-error", Label).update(Text(error_text(exc)))
            return
        self.dismiss(number)

    @on(OptionList.OptionSelected, "#number-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class PhoneScreen(SideScreen[None]):
    """One simulated handset: its inbox and a box to text a line.

    `phone_factory(base_url, number)` builds the backend, so tests can hand
    in a fake. `standalone` is for `plow-tui phone`, where Esc quits instead
    of going back.
    """

    SIDE = "phone"
    BINDINGS = [
        Binding("ctrl+o", "other_number", "Other number"),
        Binding("ctrl+t", "other_line", "Text another line"),
        # One of these two shows, depending on `standalone` (see check_action).
        Binding("escape", "back", "Back"),
        Binding("escape", "quit_phone", "Quit", show=False),  # ^q Quit is already shown
    ]

    @dataclass
    class TextsArrived(Message):
        """Texts for the inbox: the initial list (`replace`) or new ones."""

        texts: Sequence[PhoneText]
        replace: bool = field(default=False, kw_only=True)

    @dataclass
    class SocketState(Message):
        """The phone socket's state changed."""

        connection: Connection
        retry_in: int | None = None
        note: str = ""

    @dataclass
    class Sent(Message):
        """A send finished: `note` says what the sandbox did with it."""

        text: PhoneText
        note: str
        ok: bool

    def __init__(
        self,
        base_url: str,
        phone_factory: PhoneFactory,
        *,
        phone: str = DEFAULT_PHONE,
        draft: Draft | None = None,
        sandbox: bool = True,
        standalone: bool = False,
    ) -> None:
        super().__init__()
        self.base_url = base_url
        self._phone_factory = phone_factory
        self.phone = phone
        self.draft = draft or Draft()
        self.to = self.draft.to
        self._sandbox = sandbox
        self._standalone = standalone
        self._backend: PhoneBackend | None = None
        self._lines: list[str] = []
        # What lines sent this phone (from the sandbox), and what it sent
        # itself this session (the sandbox keeps no outbox for phones).
        self._inbox: list[PhoneText] = []
        self._outbox: list[PhoneText] = []
        self._connection_note = False  # the note line holds a "could not reach… retrying"

    # -- layout ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(self.base_url, sandbox=self._sandbox)
        with Horizontal(id="phone-title"):
            yield Label("", id="phone-self")
            yield Label("", id="phone-to")
        yield RichLog(id="phone-texts", wrap=True, markup=False, highlight=False, min_width=20)
        yield Input(self.draft.text, placeholder="type a text · Enter sends", id="phone-compose", select_on_focus=False)
        yield Static("", id="phone-note")
        yield KeyFooter()

    def on_mount(self) -> None:
        compose = self.query_one("#phone-compose", Input)
        compose.cursor_blink = getattr(self.app, "cursor_blink", True)
        compose.focus()
        self._show_numbers()
        self._connect()

    def _show_numbers(self) -> None:
        self.query_one("#phone-self", Label).update(Text(f"Phone {format_number(self.phone)}"))
        target = f"texting {format_number(self.to)}" if self.to else "no line chosen (Ctrl+T)"
        self.query_one("#phone-to", Label).update(Text(target))

    # -- the socket ----------------------------------------------------------

    def _connect(self) -> None:
        self._inbox.clear()
        self._outbox.clear()
        self.query_one("#phone-texts", RichLog).clear()
        self._follow()

    @work(exclusive=True, group="phone-socket", exit_on_error=False)
    async def _follow(self) -> None:
        """Open the socket, load the inbox, follow it; reconnect with backoff forever."""
        if self._backend is not None:
            await self._backend.aclose()
        self._backend = backend = self._phone_factory(self.base_url, self.phone)
        delay = _RETRY_FIRST
        loaded: set[tuple] = set()

        async def opened() -> None:
            nonlocal delay
            texts = await backend.texts()
            loaded.clear()
            loaded.update(_key(t) for t in texts)
            self.post_message(self.TextsArrived(texts, replace=True))
            self.post_message(self.SocketState(Connection.LIVE))
            delay = _RETRY_FIRST
            if not self._lines:
                self._lines = await backend.lines()

        while True:
            self.post_message(self.SocketState(Connection.CONNECTING))
            try:
                async for text in backend.live(on_open=opened):
                    if _key(text) in loaded:
                        # Arrived while the inbox was loading: already shown.
                        loaded.discard(_key(text))
                        continue
                    self.post_message(self.TextsArrived([text]))
                note = "The phone's socket closed."
            except PlowError as exc:
                note = error_text(exc)
            wait = max(1, round(delay))
            self.post_message(self.SocketState(Connection.RECONNECTING, wait, f"{note} Retrying in {wait} s."))
            await asyncio.sleep(delay)
            delay = min(_RETRY_MAX, delay * 2)

    def on_unmount(self) -> None:
        # Workers die with the screen; the HTTP client must be closed too.
        if self._backend is not None:
            backend, self._backend = self._backend, None
            self.app.call_later(backend.aclose)

    @on(SocketState)
    def _socket_state(self, event: SocketState) -> None:
        self.query_one(StatusBar).set_connection(event.connection, retry_in=event.retry_in)
        if event.note:
            self._note(event.note)
            self._connection_note = True
        elif event.connection is Connection.LIVE and self._connection_note:
            # Back: the "could not reach… retrying" line no longer applies (other notes stay).
            self._note("Connected again.")
            self._connection_note = False

    @on(TextsArrived)
    def _texts_arrived(self, event: TextsArrived) -> None:
        if event.replace:
            self._inbox = list(event.texts)
        else:
            self._inbox.extend(event.texts)
        self._redraw()
        stamps = [t.sent_at for t in event.texts if t.sent_at is not None]
        if stamps:
            self.query_one(StatusBar).last_event = max(stamps)

    def _redraw(self) -> None:
        """Inbox and this session's outgoing texts, in time order."""
        log = self.query_one("#phone-texts", RichLog)
        log.clear()
        ordered = sorted(
            [*self._inbox, *self._outbox],
            key=lambda t: (t.sent_at is None, t.sent_at.timestamp() if t.sent_at else 0.0),
        )
        for text in ordered:
            log.write(self._render_text(text))

    def _render_text(self, text: PhoneText) -> Table:
        """One text as a row: time, who, and the body wrapped in its own column."""
        when = ""
        if text.sent_at is not None:
            when = display_time(self.app, text.sent_at).strftime("%H:%M")
        outgoing = text.sender == self.phone
        who = "you" if outgoing else f"from {format_number(text.sender)}"
        row = Table.grid(padding=(0, 1), expand=True)
        row.add_column(width=5, style="dim", no_wrap=True)
        row.add_column(width=max(len(who), 4), style="" if outgoing else "bold", no_wrap=True)
        row.add_column(ratio=1)
        # Network text is shown literally (a Text never parses markup) and made
        # safe: a received `ESC[31m` must not recolour the terminal.
        row.add_row(Text(when), Text(who), Text(safe_text(text.text)))
        return row

    # -- sending -------------------------------------------------------------

    @on(Input.Submitted, "#phone-compose")
    def _compose_submitted(self, event: Input.Submitted) -> None:
        body = event.value
        if not body.strip():
            self._note("Type a text first.")
            return
        if not self.to:
            self._note("Choose a line to text first (Ctrl+T).")
            return
        event.input.value = ""
        self._note(f"Sending to {format_number(self.to)}…")
        self._send(self.to, body)

    @work(group="phone-send", exit_on_error=False)
    async def _send(self, to: str, body: str) -> None:
        backend = self._backend
        now = getattr(self.app, "now", None)
        stamp = now() if now else None
        sent = PhoneText(sender=self.phone, to=to, text=body, sent_at=stamp)
        if backend is None:
            self.post_message(self.Sent(sent, "The phone is not connected yet; try again.", ok=False))
            return
        try:
            effect = await backend.send(to, body)
        except PlowError as exc:
            self.post_message(self.Sent(sent, f"Not sent: {error_text(exc)}", ok=False))
            return
        self.post_message(self.Sent(sent, _EFFECTS.get(effect, f"Sent ({effect})."), ok=True))

    @on(Sent)
    def _sent(self, event: Sent) -> None:
        if event.ok:
            self._outbox.append(event.text)
            self._redraw()
        else:
            # Give the text back so nothing typed is lost.
            compose = self.query_one("#phone-compose", Input)
            if not compose.value:
                compose.value = event.text.text
        self._note(event.note)

    def _note(self, note: str) -> None:
        self.query_one("#phone-note", Static).update(Text(safe_line(note)))  # may hold the server's words
        self._connection_note = False  # a newer note replaced the connection's

    # -- actions -------------------------------------------------------------

    def action_other_number(self) -> None:
        def chosen(number: str | None) -> None:
            if number and number != self.phone:
                self.phone = number
                self._show_numbers()
                self._connect()

        self.app.push_screen(NumberPrompt("This phone's number", self.phone, [DEFAULT_PHONE]), chosen)

    def action_other_line(self) -> None:
        def chosen(number: str | None) -> None:
            if number:
                self.to = number
                self._show_numbers()

        self.app.push_screen(NumberPrompt("Text which line?", self.to, self._lines), chosen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return not self._standalone
        if action == "quit_phone":
            return self._standalone
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_quit_phone(self) -> None:
        self.app.exit()

    def system_commands(self) -> Iterable[SystemCommand]:
        """Palette entries for this screen's actions (see PlowApp.get_system_commands)."""
        yield SystemCommand("Phone: other number", "Be a different phone", self.action_other_number)
        yield SystemCommand("Phone: text another line", "Choose the line this phone texts", self.action_other_line)
        if not self._standalone:
            yield SystemCommand("Phone: close", "Back to where you were", self.action_back)
