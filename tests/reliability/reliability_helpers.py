"""Helpers for the reliability tests: a seeded fault injector, wire-only shortcuts, the app set up for tests.

Everything here talks to the sandbox over loopback HTTP/WebSocket, never
through its objects, so the faults are the ones a real network produces.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import timezone
from typing import TYPE_CHECKING, Any

import httpx

from support.kept_texts import kept  # noqa: F401 - re-exported for the tests
from plow_tui.client.http import PlowClient
from plow_tui.client.models import Chat
from plow_tui.client.secret_backends import MemoryStore
from plow_tui.client.tokens import TokenStore
from support.waits import until  # noqa: F401 - re-exported

from support.screenshots import screen_text  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from plow_tui.tui.app import PlowApp

_phones = itertools.count(1)


def new_phone() -> str:
    """A fresh E.164 number per call (a range no other test directory uses)."""
    return f"+1555666{next(_phones):04d}"


async def fast_sleep(delay: float) -> None:
    """The client's retry pauses (and a sandbox's `Retry-After: 1`), shortened for tests."""
    await asyncio.sleep(min(delay, 0.05))


def fast_client(base_url: str, token: str | None = None) -> PlowClient:
    """A real client that retries reads like the app's, without the long pauses."""
    return PlowClient(base_url, token, max_retries=4, timeout=10.0, sleep=fast_sleep)


async def sms(http: httpx.AsyncClient, sender: str, to: str, text: str) -> str:
    response = await http.post("/sandbox/sms", json={"from": sender, "to": to, "text": text})
    response.raise_for_status()
    return response.json()["effect"]


async def sign_up(base_url: str, phone: str, name: str = "Ada") -> tuple[str, Chat]:
    """Activate with a provisioned chat, texting from `phone`: (token, chat)."""
    async with PlowClient(base_url) as api, httpx.AsyncClient(base_url=base_url) as http:
        start = await api.activate(name=name, provision_chat=True)
        assert await sms(http, phone, start.send_to, start.text) == "activated"
        result = await api.redeem(start.activation_secret)
    assert result.token and result.chat is not None
    return result.token, result.chat


def app_on(base_url: str, store: TokenStore, *, keep_history: bool = False, **config: Any) -> PlowApp:
    """The real app on the sandbox, steady for tests: the fast client, UTC, nothing blinking or animated.

    `keep_history`: with its local store (drafts and unsent texts too) where the real app keeps it.
    """
    from plow_tui.store.location import Histories
    from plow_tui.tui.app import AppConfig, PlowApp

    return PlowApp(
        AppConfig(api_url=base_url, sandbox=True, **config),
        token_store=store,
        client_factory=fast_client,
        tz=timezone.utc,
        cursor_blink=False,
        animation_level="none",
        histories=Histories(base_url) if keep_history else None,
    )


async def memory_store_with(base_url: str, token: str) -> TokenStore:
    """An in-memory secret store already holding `token` for `base_url`."""
    store = TokenStore([MemoryStore()], env={})
    await store.save_token(base_url, token)
    return store


class TicketBurner:
    """A `connect` for `ChatStream` that can make the next ticket stale before it is used.

    A burnt ticket is used once (and the socket closed at once) before the
    stream's own connection, so the server refuses the stream's handshake
    exactly as it refuses an expired or reused ticket (HTTP 403).
    Two refusals in a row mean "the token is refused" by contract, so a
    ticket is never burnt twice in a row.
    """

    def __init__(self) -> None:
        self.armed = False
        self.burnt = 0
        self._burnt_last = False

    async def connect(self, url: str, **options: Any) -> Any:
        from websockets.asyncio.client import connect

        if self.armed and not self._burnt_last:
            self.armed = False
            self._burnt_last = True
            self.burnt += 1
            async with connect(url, open_timeout=5) as spent:
                await spent.recv()  # `connected`: the ticket is consumed
        else:
            self._burnt_last = False
        return await connect(url, **options)


def pick(rng: random.Random, weighted: list[tuple[float, str]]) -> str:
    total = sum(w for w, _ in weighted)
    roll = rng.uniform(0, total)
    for weight, name in weighted:
        roll -= weight
        if roll <= 0:
            return name
    return weighted[-1][1]
