"""The Textual app: `PlowApp` (the client) on `PlowBaseApp` (what every app of ours shares).

`plow-tui phone` and `plow-tui airy` run their own small apps (`tui/standalone.py`),
defined apart so the client's start does not define them (a Textual app class costs
about half a millisecond to define).

Every dependency is injected (CONVENTIONS §2): the token store, a factory for
API clients, a factory for simulated phones, the clock and the time zone, the
clipboard commands. `plow_tui.commands.app` builds the real ones; tests pass a
sandbox URL, in-memory stores and fixed clocks.
"""

from __future__ import annotations

import gc
import os
import sys
from time import monotonic
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.binding import Binding
from textual.screen import Screen

from plow_tui.client.models import Chat
from plow_tui.client.tokens import SecretStoreError
from plow_tui.paths import styles_dir
from plow_tui.record import Record, set_field
from plow_tui.terminal_text import error_text, safe_line, safe_text
from plow_tui.tui.clipboard import copy_with_command
from plow_tui.tui.screens.side import SideScreen
from plow_tui.client.numbers import DEFAULT_PHONE

if TYPE_CHECKING:
    from pathlib import Path

    from textual.timer import Timer

    from plow_tui.client.http import PlowClient
    from plow_tui.client.tokens import TokenStore
    from plow_tui.store.location import Histories
    from plow_tui.tui.plow.phone import Draft, PhoneFactory

ClientFactory = Callable[[str, "str | None"], "PlowClient"]
Clock = Callable[[], datetime]


# Full garbage collections run this often instead of when Python decides (see `PlowApp._quiet_gc`),
# at a pause of GC_PAUSE_S in the person's keys and mouse, put off for at most GC_LONGEST_WAIT_S.
FULL_GC_INTERVAL_S = 30.0
GC_PAUSE_S = 1.0
GC_LONGEST_WAIT_S = 120.0
# The longest the cyclic GC is held for one catch-up (see `PlowApp.hold_gc`), however slow the server.
GC_HOLD_MAX_S = 10.0


def _is_keys(screen: Screen) -> bool:
    """Whether `screen` is the keys screen (F1).

    Its module (and rich's tables) loads when the keys are first asked for,
    not before the first frame: until then no keys screen can be open.
    """
    keys = sys.modules.get("plow_tui.tui.screens.help")
    return keys is not None and isinstance(screen, keys.KeysScreen)


def _is_phone(screen: Screen) -> bool:
    """Whether `screen` is the simulated phone (its module loads when first opened: see `SideScreen`)."""
    return isinstance(screen, SideScreen) and screen.SIDE == "phone"


def _is_airy(screen: Screen) -> bool:
    """Whether `screen` is the Airy conversation (opened over the current place, like the phone)."""
    return isinstance(screen, SideScreen) and screen.SIDE == "airy"


def with_key(command: SystemCommand, app: App[Any], screen: Screen) -> SystemCommand:
    """`command` with the key of its action after its title ("New chat  ^n"), when it has one.

    The key is looked up on the object whose action the command calls, then on
    the screen and the app, so the palette teaches the keys it shortcuts.
    """
    action = getattr(command.callback, "__name__", "").removeprefix("action_")
    owner = getattr(command.callback, "__self__", None)
    for node in (owner, screen, app):
        bindings = getattr(node, "_bindings", None)
        if bindings is None:
            continue
        for binding in bindings.key_to_bindings.values():
            for candidate in binding:
                if candidate.action.split("(")[0].removeprefix("app.").removeprefix("screen.") == action:
                    return command._replace(title=f"{command.title}  {app.get_key_display(candidate)}")
    return command


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


# A Record, not a dataclass or a named tuple: defined before the first frame, and
# both compile code as they are defined (~1.7 and ~0.7 ms each on Python 3.11).
class AppConfig(Record):
    """What the person asked for on the command line.

    Where secrets go (`--insecure-storage`, in-memory for `--sandbox`) is not
    here: it is decided by the injected `TokenStore`.
    """

    __slots__ = ("api_url", "name", "provision_chat", "sandbox", "notifications", "poll_interval", "phone_number", "theme")
    frozen = True

    api_url: str
    name: str | None
    provision_chat: bool
    # The app runs against a sandbox at `api_url` (started in-process by
    # `--sandbox`): the status line says so, and the simulated phone is offered.
    sandbox: bool
    # off / bell / desktop (tui/notify.py); True and False still mean bell and off.
    notifications: str | bool
    poll_interval: float
    phone_number: str
    # A Textual theme (config.toml `theme`); None keeps Textual's default.
    theme: str | None

    def __init__(
        self,
        api_url: str,
        name: str | None = None,
        provision_chat: bool = True,
        sandbox: bool = False,
        notifications: str | bool = "bell",
        poll_interval: float = 3.0,
        phone_number: str = DEFAULT_PHONE,
        theme: str | None = None,
    ) -> None:
        set_field(self, "api_url", api_url)
        set_field(self, "name", name)
        set_field(self, "provision_chat", provision_chat)
        set_field(self, "sandbox", sandbox)
        set_field(self, "notifications", notifications)
        set_field(self, "poll_interval", poll_interval)
        set_field(self, "phone_number", phone_number)
        set_field(self, "theme", theme)


class PlowBaseApp(App[int]):
    """What both apps share: styles, clock, clipboard, keys screen, palette entries.

    A screen adds palette entries by defining `system_commands()`; the app
    adds them to Textual's own (CONVENTIONS §2: every action has one).
    """

    CSS_PATH = [str(styles_dir() / "app.tcss")]
    ENABLE_COMMAND_PALETTE = True
    # The keys shown in the footer cannot be text (F-keys, Ctrl+…), so they
    # work from the editor too; the letters beside them are aliases for where
    # nothing is being typed.
    BINDINGS = [
        Binding("f1", "show_keys", "Keys", priority=True),
        Binding("question_mark", "show_keys", "Keys", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        # Declared here so that it is listed in our words (Textual adds its own otherwise).
        Binding("ctrl+p", "command_palette", "palette", tooltip="Command palette: every action", show=False, priority=True),
    ]

    def __init__(
        self,
        *,
        now: Clock = utc_now,
        tz: tzinfo | None = None,
        cursor_blink: bool = True,
        animation_level: str | None = None,
        clipboard_commands: Sequence[Sequence[str]] = (),
        style_cache: Path | None = None,
    ) -> None:
        super().__init__()
        if style_cache is not None:
            # Parsed stylesheets kept from the last run (tui/style_cache.py): parsing them was
            # Textual's largest cost before the first frame.
            from plow_tui.tui.style_cache import CachedStylesheet, StyleCache

            self.stylesheet = CachedStylesheet.replacing(self.stylesheet, StyleCache(style_cache))
        self.now = now
        self._tz = tz
        self.cursor_blink = cursor_blink
        if animation_level is not None:
            self.animation_level = animation_level  # type: ignore[assignment]
        self._clipboard_commands = [tuple(c) for c in clipboard_commands]

    def _handle_exception(self, error: Exception) -> None:
        # Textual's crash report prints every frame's local variables, and a
        # local can be a token. Ours has no locals, is redacted, and is also
        # saved to a private file so the person can attach it to a bug report.
        from rich.text import Text

        from plow_tui.logs import write_crash_report

        self._return_code = 1
        if self._exception is None:  # what Pilot re-raises in tests
            self._exception = error
            self._exception_event.set()
        report, path = write_crash_report(error)
        where = f"A copy (secrets removed) is in {path}." if path else ""
        self.bell()
        self._exit_renderables.append(Text(f"{report}\nplow-tui closed after an unexpected error. {where}"))
        self._close_messages_no_wait()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Show a toast, always literally: no markup, and safe for the terminal.

        Toasts here carry names, titles, reasons and errors from the network,
        so none is read as markup (a `[@click=app.quit]` in a code must stay
        text, and a stray `[/]` must not raise MarkupError), whatever a caller
        passes: the one rule for every toast, `markup` is accepted and ignored.
        Widgets and screens notify through the app, so this covers them too.
        """
        super().notify(safe_text(message), title=safe_line(title), severity=severity, timeout=timeout, markup=False)

    def local_time(self, moment: datetime) -> datetime:
        """`moment` in the display time zone (the machine's unless one was injected)."""
        return moment.astimezone(self._tz) if self._tz is not None else moment.astimezone()

    # -- clipboard ---------------------------------------------------------------

    def copy_to_clipboard(self, text: str) -> None:
        """The one path of every copy: `y` on a message, a mouse selection's Ctrl+C, Textual's own inputs.

        They all call Textual's `copy_to_clipboard`; here it also tries a local
        clipboard command and says what was copied (see `copy`).
        """
        self.copy(text, "")

    def copy(self, text: str, what: str) -> None:
        """Copy `text` (OSC 52, plus a local clipboard command) and say what was copied.

        Many terminals drop OSC 52 silently, so the notice shows the text
        itself: it can always be selected from there (README, "Copy does nothing").
        """
        super().copy_to_clipboard(text)
        if self._clipboard_commands:
            self._copy_with_command(text, what)
        else:
            self.notify(_copied(text, what), title="Copied", timeout=4)

    @work(thread=True, group="clipboard", exit_on_error=False)
    def _copy_with_command(self, text: str, what: str) -> None:
        used = copy_with_command(text, self._clipboard_commands)
        how = f" (also via {used})" if used else ""
        self.call_from_thread(self.notify, _copied(text, what) + how, title="Copied", timeout=4)

    # -- keys and commands ---------------------------------------------------------

    def action_show_keys(self) -> None:
        if _is_keys(self.screen):
            return
        from plow_tui.tui.screens.help import KeysScreen, key_rows

        self.push_screen(KeysScreen(key_rows(self.screen)))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Our palette entries, in our words, each with its key beside its name.

        Textual's own (Screenshot, Maximize, its Keys panel) are left out: they
        speak of widgets, not of chats.
        """
        commands = [
            SystemCommand("Keys", "Show the keys of this screen", self.action_show_keys),
            SystemCommand("Quit", "Leave plow-tui (a sign-in in progress is resumed next time)", self.action_quit),
            SystemCommand("Theme", "Change the colours", self.action_change_theme),
        ]
        screen_commands = getattr(screen, "system_commands", None)
        if screen_commands is not None:
            commands.extend(screen_commands())
        for command in commands:
            yield with_key(command, self, screen)


class PlowApp(PlowBaseApp):
    """The Plow client: activation first when there is no token, then the chats."""

    TITLE = "plow-tui"
    # The main screen's styles load with the app's, not as the screen's own
    # CSS_PATH: pushing a screen that brings a stylesheet makes Textual parse
    # every stylesheet again and restyle every widget, just before the main
    # screen's first frame (a fifth of the time from `run()` to that frame).
    CSS_PATH = [*PlowBaseApp.CSS_PATH, str(styles_dir() / "chats.tcss")]
    BINDINGS = [
        Binding("f2", "phone", "Phone", tooltip="The simulated phone (sandbox)", priority=True),
        Binding("f3", "airy", "Airy", tooltip="The sandbox's Airy channel", priority=True),
    ]

    def __init__(
        self,
        config: AppConfig,
        *,
        token_store: TokenStore,
        client_factory: ClientFactory,
        phone_factory: PhoneFactory | None = None,
        airy_screen: Callable[[], Screen] | None = None,
        now: Clock = utc_now,
        tz: tzinfo | None = None,
        cursor_blink: bool = True,
        animation_level: str | None = None,
        clipboard_commands: Sequence[Sequence[str]] = (),
        histories: Histories | None = None,
        save_theme: Callable[[str], None] | None = None,
        stream_options: Mapping[str, Any] | None = None,
        style_cache: Path | None = None,
    ) -> None:
        super().__init__(
            now=now,
            tz=tz,
            cursor_blink=cursor_blink,
            animation_level=animation_level,
            clipboard_commands=clipboard_commands,
            style_cache=style_cache,
        )
        self.config = config
        self._save_theme = save_theme
        self._gc_threshold: tuple[int, int, int] | None = None  # the default, while `_quiet_gc` applies
        self._input_at = 0.0  # the person's last key or mouse event (monotonic)
        self._collected_at = 0.0  # the last full collection (monotonic)
        self._gc_retry: Timer | None = None  # a full collection put off until a pause
        self._gc_hold: Timer | None = None  # while `hold_gc` applies: the timer that ends it anyway
        self.token_store = token_store
        self.client_factory = client_factory
        self.phone_factory = phone_factory
        # The sandbox's Airy channel as a screen (`--sandbox` only), made when first opened.
        self.airy_screen = airy_screen
        # Where each account's local history lives (None: keep none, as in most tests).
        self.histories = histories
        # Given to every live stream (`ChatStream`'s keyword arguments: tests make its catch-up caps small).
        self.stream_options: Mapping[str, Any] = dict(stream_options or {})
        if config.sandbox:
            self.sub_title = "SANDBOX"
        from plow_tui.tui.notify import Notifier, desktop_protocol, mode_of

        # Lambdas, not bound methods: tests replace `bell` on the instance.
        self.notifier = Notifier(
            mode_of(config.notifications),
            desktop_protocol(os.environ),
            write=lambda sequence: self._write_to_terminal(sequence),
            bell=lambda: self.bell(),
            focused=lambda: self.app_focus,
        )

    def _write_to_terminal(self, sequence: str) -> None:
        """Put an escape sequence on the terminal (as Textual's `bell` does); nothing when headless."""
        if not self.is_headless and self._driver is not None:
            self._driver.write(sequence)

    def client(self, token: str | None = None) -> PlowClient:
        """A new API client for the configured server; the caller closes it."""
        return self.client_factory(self.config.api_url, token)

    def on_mount(self) -> None:
        self._apply_theme()
        from plow_tui.client.urls import plain_http_warning

        insecure = plain_http_warning(self.config.api_url)
        if insecure:
            self.notify(insecure, title="Not encrypted", severity="warning", timeout=15, markup=False)
        self._open_first_screen()

    def _apply_theme(self) -> None:
        """Start in the configured theme; remember one picked later (in the palette) through `save_theme`."""
        theme = self.config.theme
        if theme and theme in self.available_themes:
            self.theme = theme
        elif theme:
            self.notify(f"Unknown theme in config.toml: {theme!r}; using the default.", severity="warning", markup=False)
        if self._save_theme is not None:
            save = self._save_theme
            self.theme_changed_signal.subscribe(self, lambda new: save(new.name))

    @work(exclusive=True, group="startup", exit_on_error=False)
    async def _open_first_screen(self) -> None:
        try:
            try:
                token = await self.token_store.get_token(self.config.api_url)
            except SecretStoreError as exc:
                self.notify(f"Could not read the saved token: {error_text(exc)}", severity="warning", timeout=8)
                token = None
            if token:
                self.show_chats(token)
            else:
                self.show_activation()
        finally:
            self.call_after_refresh(self._quiet_gc)

    def _quiet_gc(self) -> None:
        """Keep full garbage collections out of message bursts and typing.

        What exists at the first paint (Textual, styles, screens) lives as long
        as the app: it is frozen, so the cyclic GC never walks it again. A full
        collection of the rest still walks ~50k objects (20-30 ms), and Python
        starts one when allocation is heaviest, i.e. during a burst of
        messages: a visible hitch. So full collections run on a timer instead;
        young objects are collected as usual. `on_unmount` restores the default.

        `plow-tui` starts the app with the collector off (commands/app.py:
        start-up makes objects, not garbage); it goes on here, with the
        first screen's objects frozen too.
        """
        gc.freeze()
        gc.enable()
        self._gc_threshold = gc.get_threshold()
        young, middle, _ = self._gc_threshold
        gc.set_threshold(young, middle, 1_000_000)  # ~never by allocation count
        self._collected_at = monotonic()
        self.set_interval(FULL_GC_INTERVAL_S, self._collect_garbage)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._input_at = monotonic()  # a full collection waits for a pause (`_collect_garbage`)
        await super().on_event(event)

    def _collect_garbage(self) -> None:
        """The full collection `_quiet_gc` keeps on a timer, at a pause in the person's keys and mouse.

        It takes 20-30 ms (over 100 on a loaded machine), all of it on the UI
        thread: a key pressed meanwhile waits for it, and typing through a
        burst of messages, that key was the slowest of the burst. So while
        keys come it waits for a pause of GC_PAUSE_S, but never more than
        GC_LONGEST_WAIT_S after the last one, so memory stays bounded.
        """
        # A method of our own, not `gc.collect` itself: Textual counts a timer
        # callback's parameters through `__func__`, which a builtin lacks, and
        # the first tick (30 s in) then closed the app.
        if self._gc_hold is not None:
            return  # a catch-up is on its way to the screen: the next tick collects
        now = monotonic()
        if now - self._collected_at < FULL_GC_INTERVAL_S / 2:
            return  # collected at a pause after the tick before was put off
        quiet = now - self._input_at
        if quiet < GC_PAUSE_S and now - self._collected_at < GC_LONGEST_WAIT_S:
            if self._gc_retry is None:
                self._gc_retry = self.set_timer(GC_PAUSE_S - quiet, self._collect_garbage_later)
            return
        self._collected_at = now
        gc.collect()

    def _collect_garbage_later(self) -> None:
        self._gc_retry = None
        self._collect_garbage()

    def hold_gc(self) -> None:
        """Hold the cyclic GC while a catch-up's batch is fetched and shown (`release_gc` ends it).

        A 5,000-message catch-up builds ~15,000 tracked objects (decoded JSON,
        messages, senders) that live only until the screen has made its entries
        of them, and another 5,000 entries that stay. Left to run, the GC walked
        them in ~50 young and ~5 middle collections on the way to the screen
        (a fifth of the app's CPU for the catch-up); held, the messages go by
        reference counting once shown, and the first collection after the
        release walks only the entries, after they are painted. At most
        `GC_HOLD_MAX_S`, however slow the server; only if the GC was on.
        """
        if self._gc_hold is not None or not gc.isenabled():
            return
        gc.disable()
        self._gc_hold = self.set_timer(GC_HOLD_MAX_S, self.release_gc)

    def release_gc(self) -> None:
        """End `hold_gc` (nothing if not held)."""
        if self._gc_hold is None:
            return
        self._gc_hold.stop()
        self._gc_hold = None
        gc.enable()

    def on_unmount(self) -> None:
        self.release_gc()
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)
            gc.unfreeze()

    # -- the two places the app can be -------------------------------------------

    def show_activation(self, note: str | None = None) -> None:
        """Sign in by text; `note` says why (e.g. the saved token was refused)."""
        from plow_tui.tui.plow.activation import ActivationScreen

        self._open_place(ActivationScreen(note=note))

    def show_chats(self, token: str, chat: Chat | None = None) -> None:
        """Signed in: open the chats. `chat` is the chat activation provisioned, if any."""
        from plow_tui.tui.plow.chats import ChatsScreen

        self._open_place(ChatsScreen(token, chat))

    async def sign_out(self, reason: str) -> None:
        """The server refused the token (401): forget it and sign in again."""
        from plow_tui.client.tokens import ENV_TOKEN

        if self.token_store.env_token:
            # Signing in again cannot help for long: the variable wins at every start.
            reason = (
                f"The token in {ENV_TOKEN} was refused. Unset {ENV_TOKEN} (or set a valid token) and start "
                "again; a sign-in here lasts only while the app runs."
            )
        try:
            await self.token_store.forget_token(self.config.api_url)
        except SecretStoreError as exc:
            self.notify(f"Could not remove the refused token: {error_text(exc)}", severity="warning")
        self.show_activation(note=reason)

    def _open_place(self, screen: Screen) -> None:
        # The first screen is pushed over the default one; after that, each
        # place replaces the last, so leaving it cancels its workers.
        while (
            _is_keys(self.screen)
            or _is_phone(self.screen)
            or _is_airy(self.screen)
            or getattr(self.screen, "is_modal", False)
        ):
            self.pop_screen()
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    # -- the simulated phone --------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "phone":
            # Only a sandbox has simulated phones; hide the key elsewhere.
            return self.config.sandbox and self.phone_factory is not None and not _is_phone(self.screen)
        if action == "airy":
            return self.airy_screen is not None and not _is_airy(self.screen)
        return True

    def action_airy(self) -> None:
        """Open the sandbox's Airy channel over the current screen (Escape comes back)."""
        if not self.check_action("airy", ()) or self.airy_screen is None:
            return
        while _is_keys(self.screen) or _is_phone(self.screen):
            self.pop_screen()
        self.push_screen(self.airy_screen())

    def action_phone(self) -> None:
        if not self.check_action("phone", ()) or self.phone_factory is None:
            return
        from plow_tui.tui.plow.phone import PhoneScreen

        draft_of = getattr(self.screen, "phone_draft", None)
        draft: Draft | None = draft_of() if draft_of is not None else None
        self.push_screen(
            PhoneScreen(
                self.config.api_url,
                self.phone_factory,
                phone=self.config.phone_number,
                draft=draft,
                sandbox=True,
            )
        )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.check_action("phone", ()):
            yield SystemCommand("Phone (sandbox)", "Open the simulated phone to text a line", self.action_phone)
        if self.check_action("airy", ()):
            yield SystemCommand("Airy channel (sandbox)", "Chat with the sandbox's Airy channel as a website visitor", self.action_airy)


def _copied(text: str, what: str) -> str:
    return f"Copied {what}: {text}" if what else f"Copied: {text}"
