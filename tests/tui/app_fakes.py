"""Fakes and helpers for the app-shell tests (activation, phone, app).

Behaviour tests run `PlowApp` against a real sandbox over loopback HTTP;
snapshot tests use the fakes here (fixed code, number, clock), because a sync
`snap_compare` test cannot run async fixtures (CONVENTIONS §4).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from plow_tui.client.http import PlowClient
from plow_tui.client.models import ActivationStart, Chat, Redeem
from plow_tui.client.phone import PhoneText, SandboxPhone, format_phone
from plow_tui.client.tokens import MemoryStore, SecretStoreError, TokenStore
from plow_tui.tui.app import AppConfig, PlowApp

FIXED_NOW = datetime(2026, 9, 14, 12, 0, 0, tzinfo=timezone.utc)
CANARY_SECRET = "act_CANARYSECRET0123456789"
CANARY_TOKEN = "tok_CANARYTOKEN0123456789"
CODE = "K7Q2D"
LINE = "+15550000001"


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeClient:
    """A PlowClient stand-in: a fixed activation, and redeem answers from a script."""

    def __init__(self, base_url: str, token: str | None = None, *, redeem: Callable[[], Redeem] | None = None) -> None:
        self.base_url = base_url
        self.token = token
        self._redeem = redeem or (lambda: Redeem("pending"))

    async def activate(self, name: str | None = None, provision_chat: bool = True) -> ActivationStart:
        return ActivationStart(CODE, CANARY_SECRET, LINE, "ln_1")

    async def redeem(self, secret: str) -> Redeem:
        return self._redeem()

    async def chats(self) -> list[Chat]:
        return []

    async def aclose(self) -> None:
        pass

    async def __aenter__(self) -> FakeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass


class FakePhone:
    """A handset with a fixed inbox and a socket that stays open and quiet."""

    def __init__(self, base_url: str, phone: str, texts: list[PhoneText] | None = None) -> None:
        self.base_url = base_url
        self.phone = phone
        self._texts = texts or []
        self.sent: list[tuple[str, str]] = []

    async def texts(self) -> list[PhoneText]:
        return list(self._texts)

    async def send(self, to: str, text: str) -> str:
        self.sent.append((to, text))
        return "activated"

    async def lines(self) -> list[str]:
        return [LINE, "+15550000002"]

    async def live(self, on_open: Callable[[], Awaitable[None]] | None = None) -> AsyncIterator[PhoneText]:
        if on_open is not None:
            await on_open()
        await asyncio.Event().wait()
        yield  # pragma: no cover - never reached: makes this an async generator

    async def aclose(self) -> None:
        pass


class FailingStore:
    """A secret store that always fails, like a locked or missing keyring."""

    description = "system keyring (Broken)"

    def get(self, key: str) -> str | None:
        raise SecretStoreError("The system keyring could not be read (KeyringLocked).")

    def set(self, key: str, value: str) -> None:
        raise SecretStoreError("The system keyring could not be written (KeyringLocked).")

    def delete(self, key: str) -> None:
        raise SecretStoreError("The system keyring could not be written (KeyringLocked).")


def memory_store() -> TokenStore:
    return TokenStore([MemoryStore()], env={})


def fast_client(base_url: str, token: str | None = None) -> PlowClient:
    """A real client that does not retry: tests see each failure at once."""
    return PlowClient(base_url, token, max_retries=0, timeout=5.0)


class Landed(Screen[None]):
    """Where `LandingApp` goes after sign-in: names the chat it was handed."""

    def __init__(self, chat: Chat | None) -> None:
        super().__init__()
        self.chat = chat

    def compose(self) -> ComposeResult:
        title = f"{self.chat.title} · {format_phone(self.chat.number)}" if self.chat else "no chat"
        yield Static(f"Landed: {title}")


class LandingApp(PlowApp):
    """PlowApp whose hand-off to the main screen is recorded and stubbed.

    These tests are about activation and the shell; the main screen has its
    own tests. `handoffs` holds each (token, chat) given to `show_chats`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handoffs: list[tuple[str, Chat | None]] = []

    def show_chats(self, token: str, chat: Chat | None = None) -> None:
        self.handoffs.append((token, chat))
        self._open_place(Landed(chat))


def sandbox_app(base_url: str, store: TokenStore | None = None, *, real_chats: bool = False, **config: Any) -> PlowApp:
    """The app against a sandbox, polling fast; the main screen stubbed unless `real_chats`."""
    options: dict[str, Any] = {"name": "Ada", "sandbox": True, "poll_interval": 0.1}
    options.update(config)
    app_class = PlowApp if real_chats else LandingApp
    return app_class(
        AppConfig(api_url=base_url, **options),
        token_store=store or memory_store(),
        client_factory=fast_client,
        phone_factory=SandboxPhone,
        tz=timezone.utc,
        cursor_blink=False,
        animation_level="none",
    )


def fake_app(
    clock: FixedClock | None = None,
    store: TokenStore | None = None,
    *,
    redeem: Callable[[], Redeem] | None = None,
    **config: Any,
) -> PlowApp:
    """The app with a fake client and fixed clock: for snapshots and leak checks.

    `redeem` scripts the server's answers to polling (default: pending).
    """
    options: dict[str, Any] = {"api_url": "https://api.plow.co", "name": "Ada", "poll_interval": 0.05}
    options.update(config)

    def client_factory(base_url: str, token: str | None = None) -> FakeClient:
        return FakeClient(base_url, token, redeem=redeem)

    return LandingApp(
        AppConfig(**options),
        token_store=store or memory_store(),
        client_factory=client_factory,
        phone_factory=FakePhone,
        now=clock or FixedClock(),
        tz=timezone.utc,
        cursor_blink=False,
        animation_level="none",
    )


async def wait_for(pilot: Any, condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Pause the pilot until `condition()` is truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def screen_text(app: Any) -> str:
    """Everything drawn on the current screen (with screens beneath), as plain text lines.

    Rendered the way `export_screenshot()` renders, but exported as text so
    tests can search it.
    """
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def squash(text: str) -> str:
    """`text` with runs of whitespace made single spaces: for matching across layout."""
    return " ".join(text.split())


def phase_of(app: PlowApp) -> Any:
    return getattr(app.screen, "phase", None)


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Any]]:
    """Start sandboxes with the given SandboxConfig settings; all stop after the test."""
    from plow_tui.sandbox import SandboxConfig, SandboxServer

    servers: list[Any] = []

    def make(**settings: Any) -> Any:
        settings.setdefault("seed", 1)
        server = SandboxServer(SandboxConfig(port=0, **settings))
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


async def text_line(base_url: str, sender: str, to: str, text: str) -> str:
    """A phone texts a line through the sandbox; returns the sandbox's `effect`."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/sandbox/sms", json={"from": sender, "to": to, "text": text})
        response.raise_for_status()
        return response.json()["effect"]


async def sandbox_post(base_url: str, path: str, body: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(path, json=body)
        response.raise_for_status()
        return response.json() if response.content else None
