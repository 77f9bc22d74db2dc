"""`plow-tui` with no command (the Textual app), and `plow-tui phone` (a simulated handset).

`--sandbox` starts a sandbox in-process on a free loopback port and runs the
app against it. Its tokens live in memory only: each run gets a fresh world
on a new port, so a token saved for it could never be used again, and a demo
must not write anything into the person's keyring.
"""

from __future__ import annotations

import gc
import getpass
import sys
from typing import TYPE_CHECKING

from plow_tui.client.numbers import DEFAULT_PHONE
from plow_tui.commands import ExitCode, options

if TYPE_CHECKING:
    import argparse

# `plow-tui sandbox` listens here by default; the live API has no phones.
DEFAULT_SANDBOX_URL = "http://127.0.0.1:8765"
LIVE_API_URL = "https://api.plow.co"


def register(subparsers: argparse._SubParsersAction) -> None:
    phone = subparsers.add_parser(
        "phone",
        help="Be a simulated phone for a sandbox, in its own terminal.",
        description="Be a phone against a sandbox: read what lines text it, and text a line.",
    )
    # The phone's --api-url is the sandbox's, never the live API (which has no phones).
    options.add(phone, "api_url", help={"api_url": f"the sandbox (default: the API URL setting when it is not the live API, else {DEFAULT_SANDBOX_URL})"})
    phone.add_argument("number", nargs="?", default=DEFAULT_PHONE, help=f"this phone's number (default {DEFAULT_PHONE})")
    phone.add_argument("--to", help="the line to text (E.164)")
    phone.add_argument("--text", default="", help="a text to pre-fill")
    phone.set_defaults(func=run_phone)


def _login_name() -> str | None:
    try:
        return getpass.getuser() or None
    except (KeyError, OSError):  # no passwd entry, no $USER
        return None


def run_app(args: argparse.Namespace) -> int:
    """Open the Textual app (with an in-process sandbox for `--sandbox`)."""
    # Importing Textual and the app, then building the first screen, create
    # many long-lived objects (modules, classes, styles, widgets); letting the
    # cyclic GC walk them over and over cost ~25 ms for the imports and ~15 ms
    # more (some fifty young collections) until the first frame. Collect
    # nothing until then: the imports are frozen once loaded, and the app
    # freezes the rest and turns the collector on after its first frame
    # (`PlowApp._quiet_gc`). On for sure once the app has ended.
    gc.disable()
    try:
        return _run_app(args)
    finally:
        gc.enable()


def _run_app(args: argparse.Namespace) -> int:
    # Called with the collector off (see `run_app`): it stays off until the app's
    # first frame (`PlowApp._quiet_gc` turns it on then).
    from plow_tui.client.secret_backends import MemoryStore
    from plow_tui.client.tokens import TokenStore
    from plow_tui.client.urls import normalize_base_url
    from plow_tui.logs import configure_logging
    from plow_tui.tui.app import AppConfig, PlowApp
    from plow_tui.tui.clipboard import clipboard_commands
    from plow_tui.tui.plow import chats  # noqa: F401 - shown first when signed in: load it before the freeze

    gc.freeze()

    # The terminal belongs to the app: everything else goes to the private log.
    if args.sandbox and args.settings.sources["api_url"].startswith("flag"):
        print("plow-tui: --sandbox starts its own server: it cannot be used with --api-url.", file=sys.stderr)
        return ExitCode.USAGE
    configure_logging()
    sandbox = None
    airy_channel = None
    phone_factory = None  # simulated phones exist only in a sandbox
    if args.sandbox:
        from plow_tui.client.phone import SandboxPhone
        from plow_tui.sandbox import SandboxConfig, SandboxServer

        phone_factory = SandboxPhone
        sandbox_config = SandboxConfig(port=0, seed=args.seed)
        airy_channel = sandbox_config.airy_channel  # offered in the app (key a)
        sandbox = SandboxServer(sandbox_config)
        try:
            api_url = sandbox.start()
        except (OSError, RuntimeError) as exc:
            print(f"plow-tui: could not start the sandbox: {exc}", file=sys.stderr)
            return ExitCode.ERROR
        # PLOW_TOKEN belongs to a real account: it must not apply here.
        store = TokenStore([MemoryStore()], env={}, reason="sandbox")
    else:
        try:
            api_url = normalize_base_url(args.api_url)
        except ValueError as exc:
            print(f"plow-tui: {exc}", file=sys.stderr)
            return ExitCode.USAGE
        store = TokenStore.default(force_file=args.insecure_storage, env=args.env)

    config = AppConfig(
        api_url=api_url,
        name=args.name or _login_name(),
        provision_chat=args.provision_chat,
        sandbox=sandbox is not None,
        notifications=args.notifications,
        poll_interval=args.poll_interval,
        theme=args.theme,
    )
    from plow_tui.store.location import Histories
    from plow_tui.tui.airy import sandbox_screen

    app = PlowApp(
        config,
        token_store=store,
        client_factory=_plow_client,
        phone_factory=phone_factory,
        airy_screen=sandbox_screen(api_url, airy_channel, store, bell=config.notifications != "off") if airy_channel else None,
        clipboard_commands=clipboard_commands(),
        # A sandbox run keeps its history in memory: nothing of it outlives the run.
        histories=Histories(api_url, memory=sandbox is not None),
        save_theme=_save_theme(args),
        style_cache=_style_cache(),
    )
    try:
        app.run()
    finally:
        if sandbox is not None:
            sandbox.stop()
    return int(app.return_code or ExitCode.OK)


def _style_cache():  # noqa: ANN202 - Path | None
    """Where the app keeps its parsed stylesheets between runs (tui/style_cache.py)."""
    from plow_tui.paths import cache_dir

    return cache_dir() / "styles.pickle"


def _save_theme(args: argparse.Namespace):  # noqa: ANN202 - Callable[[str], None]
    """Remember a theme picked in the palette in config.toml (a broken file is left alone)."""

    def save(theme: str) -> None:
        import logging

        from plow_tui.settings import ConfigError, write_setting

        if theme == args.theme:
            return
        try:
            write_setting("theme", theme, args.settings.path)
            args.theme = theme
        except (ConfigError, OSError, ValueError) as error:
            logging.getLogger(__name__).warning("theme not saved: %s", error)

    return save


def _plow_client(base_url: str, token: str | None = None):  # noqa: ANN202 - a PlowClient
    # httpx takes ~50 ms to import: importing it when the first request is
    # made, not before the app starts, keeps it off the first paint.
    from plow_tui.client.http import PlowClient

    return PlowClient(base_url, token)


def run_phone(args: argparse.Namespace) -> int:
    """`plow-tui phone NUMBER`: the simulated handset as its own app."""
    from plow_tui.client.numbers import normalize_phone
    from plow_tui.client.phone import SandboxPhone
    from plow_tui.client.urls import normalize_base_url
    from plow_tui.logs import configure_logging
    from plow_tui.tui.standalone import PhoneApp
    from plow_tui.tui.clipboard import clipboard_commands
    from plow_tui.tui.plow.phone import Draft

    api_url = args.api_url
    if _same_url(api_url, LIVE_API_URL):
        api_url = DEFAULT_SANDBOX_URL
    try:
        base_url = normalize_base_url(api_url)
        number = normalize_phone(args.number)
        to = normalize_phone(args.to) if args.to else ""
    except ValueError as exc:
        print(f"plow-tui phone: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    configure_logging()
    app = PhoneApp(
        base_url,
        number,
        phone_factory=SandboxPhone,
        draft=Draft(text=args.text, to=to),
        clipboard_commands=clipboard_commands(),
        style_cache=_style_cache(),
    )
    app.run()
    return int(app.return_code or ExitCode.OK)


def _same_url(url: str, other: str) -> bool:
    from plow_tui.client.urls import normalize_base_url

    try:
        return normalize_base_url(url) == other
    except ValueError:
        return False
