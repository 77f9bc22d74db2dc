"""Fakes and helpers for the app-shell tests (activation, phone, app).

Behaviour tests run `PlowApp` against a real sandbox over loopback HTTP;
snapshot tests use the fakes here (fixed code, number, clock), because a sync
`snap_compare` test cannot run async fixtures (CONVENTIONS §4).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timezone
from typing import Any

import httpx
import pytest
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from plow_tui.client.http import PlowClient
from plow_tui.client.answers import Redeem
from plow_tui.client.models import Chat
from plow_tui.client.numbers import format_phone
from plow_tui.client.phone import SandboxPhone
from plow_tui.client.secret_backends import MemoryStore
from plow_tui.client.tokens import SecretStoreError, TokenStore
from plow_tui.tui.airy import sandbox_screen
from plow_tui.tui.app import AppConfig, PlowApp
from support.demo_data import (  # noqa: F401 - re-exported: the fakes live in tests/support, shared with the screenshots
    CODE,
    FIXED_NOW,
    LINE,
    FakeClient,
    FakePhone,
    FixedClock,
    activation_app,
)
from support.screenshots import screen_text  # noqa: F401 - re-exported
from support.waits import wait_for  # noqa: F401 - re-exported

CANARY_SECRET = "act_CANARYSECRET0123456789"
CANARY_TOKEN = "tok_CANARYTOKEN0123456789"


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


def sandbox_app(
    base_url: str, store: TokenStore | None = None, *, real_chats: bool = False, histories: Any = None, **config: Any
) -> PlowApp:
    """The app against a sandbox, polling fast; the main screen stubbed unless `real_chats`; `histories`: its local store."""
    options: dict[str, Any] = {"name": "Ada", "sandbox": True, "poll_interval": 0.1}
    airy_channel = config.pop("airy_channel", None)
    options.update(config)
    app_class = PlowApp if real_chats else LandingApp
    store = store or memory_store()
    return app_class(
        AppConfig(api_url=base_url, **options),
        token_store=store,
        client_factory=fast_client,
        phone_factory=SandboxPhone,
        airy_screen=sandbox_screen(base_url, airy_channel, store) if airy_channel else None,
        tz=timezone.utc,
        cursor_blink=False,
        animation_level="none",
        histories=histories,
    )


def fake_app(
    clock: FixedClock | None = None,
    store: TokenStore | None = None,
    *,
    redeem: Callable[[], Redeem] | None = None,
    **config: Any,
) -> PlowApp:
    """The app with a fake client and fixed clock: for snapshots and leak checks.

    `redeem` scripts the server's answers to polling (default: pending); the
    activation secret is the canary, so leak checks can search for it.
    """
    return activation_app(
        redeem=redeem,
        clock=clock,
        store=store or memory_store(),
        app_class=LandingApp,
        secret=CANARY_SECRET,
        **config,
    )


def squash(text: str) -> str:
    """`text` with runs of whitespace made single spaces: for matching across layout."""
    return " ".join(text.split())


def phase_of(app: PlowApp) -> Any:
    return getattr(app.screen, "phase", None)


def pending_of(app: PlowApp) -> Any:
    """The activation screen's pending activation (its code), or None on any other screen."""
    from plow_tui.tui.plow.activation import ActivationScreen

    screen = app.screen
    return screen.pending if isinstance(screen, ActivationScreen) else None


@asynccontextmanager
async def showing_a_code(
    base_url: str, store: TokenStore | None = None, size: tuple[int, int] = (100, 30)
) -> AsyncIterator[tuple[PlowApp, Any, Any]]:
    """The app running against the sandbox, once its activation screen shows a code: (app, pilot, pending)."""
    app = sandbox_app(base_url, store)
    async with app.run_test(size=size) as pilot:
        pending = await wait_for(pilot, lambda: pending_of(app), what="a code")
        yield app, pilot, pending


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Any]]:
    """Start sandboxes with the given SandboxConfig settings; all stop after the test."""
    from support.sandboxes import sandboxes

    with sandboxes(seed=1) as make:
        yield make


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
