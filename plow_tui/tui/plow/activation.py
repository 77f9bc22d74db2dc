"""Sign in by one text (PROTOCOL §2): show the code, the number and a QR code; poll.

The screen owns its worker (start or resume the activation, then poll) and a
one-second timer (countdown, "checked 2 s ago", "retrying in 8 s"); both die
with the screen. The worker talks to the network and the secret store and
posts messages; handlers only update widgets. The activation secret and the
token never reach a widget: only the code, the number and sentences do.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static

from plow_tui.tui.widgets.footer import KeyFooter

from plow_tui.client.activation import (
    AlreadyRedeemed,
    Expired,
    Pending,
    PendingActivation,
    PollFailed,
    Verified,
    poll_activation,
    start_activation,
)
from plow_tui.client.errors import NetworkError, PlowError, RateLimited, ServerUnavailable
from plow_tui.client.tokens import SecretStoreError
from plow_tui.terminal_text import error_text, safe_line
from plow_tui.tui.app import PlowApp
from plow_tui.tui.plow.phone import Draft
from plow_tui.client.texts import sms_uri
from plow_tui.tui.widgets.qr import QRCode
from plow_tui.tui.widgets.status_bar import Connection, StatusBar, api_host
from plow_tui.tui.plow.views import format_number

if TYPE_CHECKING:
    from plow_tui.client.http import PlowClient

# Backoff for starting an activation while the server is unreachable or failing.
START_RETRY_FIRST = 2.0
START_RETRY_MAX = 30.0
# A 503 means no pool line is free: lines free up on a scale of minutes.
NO_LINE_RETRY = 60.0


class Phase(enum.Enum):
    """Where the sign-in stands; each has its own sentence on screen."""

    STARTING = "starting"
    WAITING = "waiting"
    RETRYING = "retrying"  # the network or server failed; a retry is scheduled
    NO_LINE = "no_line"  # 503 on activate
    VERIFIED = "verified"
    EXPIRED = "expired"
    USED = "used"  # verified, but the token went to another client
    FAILED = "failed"  # an error retrying would not fix


@dataclass(frozen=True)
class Retry:
    """A failure the worker will retry by itself at `at`."""

    reason: str
    at: datetime


class ActivationScreen(Screen[None]):
    """Shows `Plow Activate: CODE` and the number to text, and waits for the text."""

    BINDINGS = [
        Binding("c", "copy_text", "Copy text"),
        Binding("n", "copy_number", "Copy number"),
        Binding("r", "start_over", "New code"),
        # The sandbox's letters for F2 and F3. Only here, where nothing is typed:
        # on the chats screen a letter that is no command starts a text, and
        # `p` or `a` at the start of a word there opened the phone or Airy.
        # (The app checks whether the sandbox offers them.)
        Binding("p", "app.phone", "Phone", tooltip="The simulated phone (sandbox)", show=False),
        Binding("a", "app.airy", "Airy", tooltip="The sandbox's Airy channel", show=False),
        # Not Esc: a reflex press must not throw away the sign-in on screen.
        Binding("q", "quit", "Quit", show=False),
    ]
    # Below these sizes the QR code would push the code off screen: hide it.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (78, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (22, "-tall")]

    @dataclass
    class Started(Message):
        """The worker has a live activation to show (fresh or resumed)."""

        pending: PendingActivation
        resumed: bool

    @dataclass
    class Outcome(Message):
        """One result of the worker: a poll outcome, or a failure to start."""

        outcome: object

    @dataclass
    class StorageTrouble(Message):
        """The secret store failed; the sign-in goes on, but say what was lost."""

        text: str

    def __init__(self, note: str | None = None) -> None:
        super().__init__()
        self._note = note
        self.pending: PendingActivation | None = None
        self.phase = Phase.STARTING
        self.last_checked: datetime | None = None
        self.retry: Retry | None = None
        self.network_down = False
        self.problem: str = ""
        self._client: PlowClient | None = None
        self._storage_trouble_text: str | None = None

    plow = getters.app(PlowApp)  # the app, typed (it asserts the screen runs in one)

    # -- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        config = self.plow.config
        yield StatusBar(config.api_url, sandbox=config.sandbox)
        with Horizontal(id="activation-body"):
            with Vertical(id="activation-main"):
                yield Label("Sign in by text", id="activation-heading")
                if self._note:
                    yield Label(Text(self._note), id="activation-note", classes="warning")
                yield Label("From the phone you want to use, text", classes="muted")
                yield Static("Getting a code…", id="activation-code")
                yield Label("", id="activation-to")
                yield Static("", id="activation-countdown")
                yield Static("", id="activation-state")
                yield Static("", id="activation-storage", classes="muted")
            with Vertical(id="activation-qr-box", classes="-hidden"):
                yield QRCode(id="activation-qr")
                yield Label("scan to open Messages", classes="muted")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._client = self.plow.client()
        self._show_storage()
        self.set_interval(1.0, self._tick)
        self._run(fresh=False)
        self._refresh_state()

    def on_unmount(self) -> None:
        # The worker is cancelled with the screen; its HTTP client must close too.
        if self._client is not None:
            client, self._client = self._client, None
            self.app.call_later(client.aclose)

    def _show_storage(self, trouble: str | None = None) -> None:
        storage = self.query_one("#activation-storage", Static)
        text = Text(f"Token storage: {self.plow.token_store.location}")
        if trouble:
            text.append(f"\n{trouble}")
        storage.update(text)
        storage.set_class(bool(trouble) or " — " in self.plow.token_store.location, "warning")

    # -- the worker: start (or resume), then poll -----------------------------------

    @work(exclusive=True, group="activation", exit_on_error=False)
    async def _run(self, fresh: bool) -> None:
        app = self.plow
        config = app.config
        store = app.token_store
        client = self._client
        assert client is not None
        pending: PendingActivation | None = None
        resumed = False
        try:
            if fresh:
                await store.clear_pending(config.api_url)
            else:
                pending = await store.get_pending(config.api_url)
                if pending is not None and pending.is_expired(app.now()):
                    await store.clear_pending(config.api_url)
                    pending = None
                resumed = pending is not None
        except SecretStoreError as exc:
            self.post_message(self.StorageTrouble(f"Could not read a saved sign-in: {error_text(exc)}"))
            pending = None

        delay = START_RETRY_FIRST
        while pending is None:
            try:
                pending = await start_activation(
                    client, config.name, config.provision_chat, clock=app.now
                )
            except ServerUnavailable as exc:
                wait = NO_LINE_RETRY if exc.status == 503 else delay
                self.post_message(self.Outcome(_StartFailed(exc, wait)))
                await asyncio.sleep(wait)
                delay = min(START_RETRY_MAX, delay * 2)
            except (NetworkError, RateLimited) as exc:
                wait = exc.retry_after if isinstance(exc, RateLimited) and exc.retry_after else delay
                self.post_message(self.Outcome(_StartFailed(exc, wait)))
                await asyncio.sleep(wait)
                delay = min(START_RETRY_MAX, delay * 2)
            except PlowError as exc:
                self.post_message(self.Outcome(_StartFailed(exc, None)))
                return

        if not resumed:
            try:
                await store.save_pending(config.api_url, pending)
            except SecretStoreError as exc:
                self.post_message(self.StorageTrouble(f"This code will not survive a restart: {error_text(exc)}"))
        self.post_message(self.Started(pending, resumed))

        try:
            async for outcome in poll_activation(client, pending, interval=config.poll_interval, clock=app.now):
                if isinstance(outcome, Verified):
                    await self._keep_token(outcome.token)
                if isinstance(outcome, (Verified, Expired, AlreadyRedeemed)):
                    await self._forget_pending()
                self.post_message(self.Outcome(outcome))
        except PlowError as exc:
            self.post_message(self.Outcome(_StartFailed(exc, None)))

    async def _keep_token(self, token: str) -> None:
        app = self.plow
        try:
            await app.token_store.save_token(app.config.api_url, token)
        except SecretStoreError as exc:
            # A toast, not the storage line: this screen is about to be replaced.
            app.notify(
                f"The token could not be saved ({error_text(exc)}); you will sign in again next time.",
                severity="warning",
                timeout=10,
            )

    async def _forget_pending(self) -> None:
        app = self.plow
        try:
            await app.token_store.clear_pending(app.config.api_url)
        except SecretStoreError as exc:
            self.post_message(self.StorageTrouble(f"Could not clear the finished sign-in: {error_text(exc)}"))

    # -- handlers: data in, widgets out ---------------------------------------------

    @on(Started)
    def _started(self, event: Started) -> None:
        self.pending = event.pending
        self.phase = Phase.WAITING
        self.retry = None
        self.problem = ""
        self.last_checked = None
        pending = event.pending
        code = self.query_one("#activation-code", Static)
        code.update(Text(safe_line(pending.text)))
        code.remove_class("-stale")
        self.query_one("#activation-to", Label).update(Text(f"to   {format_number(pending.send_to)}"))
        self.query_one(QRCode).data = sms_uri(pending.send_to, pending.text)
        self._show_qr(True)
        # The store may have fallen back (keyring → file) while saving the code.
        self._show_storage(self._storage_trouble_text)
        if event.resumed:
            self.notify("Picked up the sign-in you started earlier.", timeout=4)
        self._refresh_state()

    @on(Outcome)
    def _outcome(self, event: Outcome) -> None:
        outcome = event.outcome
        now = self.plow.now()
        if isinstance(outcome, Pending):
            self.phase = Phase.WAITING
            self.last_checked = outcome.checked_at
            self.retry = None
        elif isinstance(outcome, PollFailed):
            self.phase = Phase.RETRYING
            self.retry = Retry(
                self._failure_text(outcome.error, starting=False), now + timedelta(seconds=outcome.retry_in)
            )
            self.network_down = isinstance(outcome.error, NetworkError)
        elif isinstance(outcome, _StartFailed):
            error = outcome.error
            if outcome.retry_in is None:
                self.phase = Phase.FAILED
                self.problem = f"{error_text(error)} Press r to try again."
                self.retry = None
            else:
                self.phase = Phase.NO_LINE if error.status == 503 else Phase.RETRYING
                self.retry = Retry(self._failure_text(error, starting=True), now + timedelta(seconds=outcome.retry_in))
                self.network_down = isinstance(error, NetworkError)
        elif isinstance(outcome, Verified):
            self.phase = Phase.VERIFIED
            self._refresh_state()
            self.plow.show_chats(outcome.token, outcome.chat)
            return
        elif isinstance(outcome, AlreadyRedeemed):
            self.phase = Phase.USED
            self._stale()
        elif isinstance(outcome, Expired):
            self.phase = Phase.EXPIRED
            self._stale()
        self._refresh_state()

    @on(StorageTrouble)
    def _storage_trouble(self, event: StorageTrouble) -> None:
        self._storage_trouble_text = event.text
        self._show_storage(event.text)

    def _stale(self) -> None:
        self.query_one("#activation-code", Static).add_class("-stale")
        self._show_qr(False)

    def _show_qr(self, show: bool) -> None:
        # A dead code must not stay scannable; the size breakpoints in
        # app.tcss hide the box on small terminals whatever this says.
        self.query_one("#activation-qr-box").set_class(not show, "-hidden")

    def _failure_text(self, error: PlowError, *, starting: bool) -> str:
        host = api_host(self.plow.config.api_url)
        if isinstance(error, NetworkError):
            return f"Can't reach {host}"
        if error.status == 503 and starting:
            # On activate, 503 means every pool line is held (PROTOCOL §2).
            return "No line is free right now (503)"
        if isinstance(error, RateLimited):
            return f"{host} asks us to slow down (429)"
        return f"{host} failed ({error.status}: {error_text(error).rstrip('.')})"

    def _tick(self) -> None:
        self._refresh_state()

    def _refresh_state(self) -> None:
        """Redraw everything that depends on the clock: countdown, last check, retry."""
        now = self.plow.now()
        state = self.query_one("#activation-state", Static)
        countdown = self.query_one("#activation-countdown", Static)
        bar = self.query_one(StatusBar)
        pending = self.pending
        alive = pending is not None and self.phase in (Phase.WAITING, Phase.RETRYING)
        if alive and pending is not None:
            left = max(0, int((pending.expires_at - now).total_seconds()))
            countdown.update(f"Code expires in {left // 60}:{left % 60:02d}")
        else:
            countdown.update("")

        phase = self.phase
        tone = ""
        if phase is Phase.STARTING:
            message = "Getting a code…"
            bar.set_connection(Connection.CONNECTING)
        elif phase is Phase.WAITING:
            checked = ""
            if self.last_checked is not None:
                ago = max(0, int((now - self.last_checked).total_seconds()))
                checked = f" (checked {ago} s ago)"
            message = f"Waiting for your text…{checked}"
            bar.set_connection(Connection.POLLING)
        elif phase in (Phase.RETRYING, Phase.NO_LINE) and self.retry is not None:
            wait = max(0, round((self.retry.at - now).total_seconds()))
            if phase is Phase.NO_LINE:
                message = f"{self.retry.reason}. Trying again in {wait} s, or press r."
            else:
                message = f"{self.retry.reason} — retrying in {wait} s."
            tone = "warning"
            # Offline when the network is down; otherwise the server failed or is full.
            bar.set_connection(Connection.OFFLINE if self.network_down else Connection.RETRYING, retry_in=wait)
        elif phase is Phase.VERIFIED:
            message = "Verified — opening your chat…"
            tone = "success"
            bar.set_connection(Connection.IDLE)
        elif phase is Phase.EXPIRED:
            message = "This code expired. Press r for a new one."
            tone = "warning"
            bar.set_connection(Connection.IDLE)
        elif phase is Phase.USED:
            message = "This code was already used to sign in elsewhere. Press r for a new one."
            tone = "warning"
            bar.set_connection(Connection.IDLE)
        else:
            message = self.problem or "Something went wrong. Press r to try again."
            tone = "error"
            bar.set_connection(Connection.IDLE)
        state.update(Text(message))
        for name in ("warning", "success", "error"):
            state.set_class(name == tone, name)

    # -- actions ----------------------------------------------------------------------

    def action_copy_text(self) -> None:
        if self.pending is None:
            self.notify("There is no code yet.", severity="warning")
            return
        self.plow.copy(self.pending.text, "the text")

    def action_copy_number(self) -> None:
        if self.pending is None:
            self.notify("There is no number yet.", severity="warning")
            return
        self.plow.copy(self.pending.send_to, "the number")

    def action_start_over(self) -> None:
        if self.phase is Phase.VERIFIED:
            return
        self.pending = None
        self.phase = Phase.STARTING
        self.retry = None
        self.last_checked = None
        code = self.query_one("#activation-code", Static)
        code.update("Getting a code…")
        code.remove_class("-stale")
        self.query_one("#activation-to", Label).update("")
        self._show_qr(False)
        self._refresh_state()
        self._run(fresh=True)

    def action_quit(self) -> None:
        # A pending activation stays saved: reopening the app resumes it.
        self.app.exit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The letters for the app's phone and Airy: offered (and listed in the keys) only where the app offers them.
        if action.startswith("app."):
            return self.app.check_action(action.removeprefix("app."), parameters)
        return True

    def phone_draft(self) -> Draft | None:
        """What the simulated phone should offer to send: the activation text."""
        if self.pending is None:
            return None
        return Draft(text=self.pending.text, to=self.pending.send_to)

    def system_commands(self) -> Iterable[SystemCommand]:
        """Palette entries for this screen's keys."""
        yield SystemCommand("Copy activation text", "Copy 'Plow Activate: …' to the clipboard", self.action_copy_text)
        yield SystemCommand("Copy number", "Copy the number to text, in E.164 form", self.action_copy_number)
        yield SystemCommand("New code", "Start the sign-in over with a fresh code", self.action_start_over)


@dataclass(frozen=True)
class _StartFailed:
    """Starting failed (or polling hit an error that will not pass). `retry_in` None: wait for r."""

    error: PlowError
    retry_in: float | None
