"""Helpers for the main-screen tests: accounts, chats and phones in a sandbox.

Everything goes over the wire (HTTP to `/v1` and `/sandbox`), never through
the sandbox's objects, so the app and the server really talk to each other.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from app_fakes import memory_store, sandbox_app, text_line, wait_for

from support.kept_texts import kept  # noqa: F401 - re-exported for the tests
from plow_tui.client.http import PlowClient
from plow_tui.client.models import Chat, ChatMessage
from plow_tui.store.location import Histories
from plow_tui.tui.plow.chats import ChatsScreen
from plow_tui.tui.plow.chat_pane import ChatPane

_phones = itertools.count(1)


def new_phone() -> str:
    """A fresh E.164 number per call, so each account and member is its own person."""
    return f"+1555888{next(_phones):04d}"


async def sign_up(base_url: str, phone: str, name: str = "Ada") -> tuple[str, Chat]:
    """Activate with a provisioned chat, texting from `phone`: (token, chat)."""
    async with PlowClient(base_url) as api:
        start = await api.activate(name=name, provision_chat=True)
        assert await sms(base_url, phone, start.send_to, start.text) == "activated"
        result = await api.redeem(start.activation_secret)
    assert result.token and result.chat is not None
    return result.token, result.chat


@dataclass
class SignedUp:
    """An account signed up from `phone` in a sandbox at `base`, with its provisioned chat."""

    base: str
    phone: str
    token: str
    chat: Chat


async def signed_up(sandbox_factory: Callable[..., Any], **sandbox_options: Any) -> SignedUp:
    """Start a sandbox with `sandbox_options` and sign up a fresh phone in it."""
    base = sandbox_factory(**sandbox_options).base_url
    phone = new_phone()
    token, chat = await sign_up(base, phone)
    return SignedUp(base, phone, token, chat)


@dataclass
class MainScreenSession(SignedUp):
    """The app running signed in as the account, on the main screen with its chat list loaded."""

    app: Any
    pilot: Any
    screen: ChatsScreen


@dataclass
class ChatSession(MainScreenSession):
    """A `MainScreenSession` with the account's chat open and loaded in `pane`."""

    pane: ChatPane


@asynccontextmanager
async def on_main_screen(
    account: SignedUp, size: tuple[int, int] = (100, 30), *, keep_history: bool = False
) -> AsyncIterator[MainScreenSession]:
    """Run the app signed in as `account` and wait for the main screen (`keep_history`: with its local store)."""
    app = await chats_app(account.base, account.token, keep_history=keep_history)
    async with app.run_test(size=size) as pilot:
        screen = await main_screen(pilot)
        yield MainScreenSession(account.base, account.phone, account.token, account.chat, app, pilot, screen)


@asynccontextmanager
async def opened_chat(
    account: SignedUp, size: tuple[int, int] = (100, 30), *, keep_history: bool = False
) -> AsyncIterator[ChatSession]:
    """Run the app signed in as `account`, with its chat open and loaded (`keep_history`: with its local store)."""
    async with on_main_screen(account, size, keep_history=keep_history) as s:
        pane = await open_chat(s.pilot, s.screen, account.chat.uid)
        yield ChatSession(s.base, s.phone, s.token, s.chat, s.app, s.pilot, s.screen, pane)


@asynccontextmanager
async def signed_in_chat(
    sandbox_factory: Callable[..., Any],
    size: tuple[int, int] = (100, 30),
    *,
    keep_history: bool = False,
    **sandbox_options: Any,
) -> AsyncIterator[ChatSession]:
    """A fresh sandbox and account, and the app running with its chat open (`keep_history`: with its local store)."""
    async with opened_chat(await signed_up(sandbox_factory, **sandbox_options), size, keep_history=keep_history) as session:
        yield session


sms = text_line  # the shorter name these tests use: a phone texts a line, returns the sandbox's `effect`


async def numbered_texts(account: SignedUp, count: int) -> None:
    """The account's phone texts its chat `count` times: "message 000", "message 001", …"""
    # One client for them all, in order: a client per text (its TLS context built
    # each time) made this the larger part of the longest tests.
    async with httpx.AsyncClient(base_url=account.base) as http:
        for n in range(count):
            body = {"from": account.phone, "to": account.chat.number, "text": f"message {n:03d}"}
            (await http.post("/sandbox/sms", json=body)).raise_for_status()


async def pending_chat(base_url: str, token: str, members: list[str]) -> Chat:
    """A new chat on the account's first line, waiting for `members` to verify."""
    async with PlowClient(base_url, token) as api:
        line = (await api.lines())[0]
        return await api.create_chat(line.uid, members)


async def chat_with_myself(base_url: str, token: str, phone: str, first: Chat) -> Chat:
    """A second chat with only the account's own phone, asked for (POST /v1/chats) and verified from that phone.

    Signing in again from the same phone keeps the chat it has (README, "Signing in again"): a second chat
    with yourself is one you ask for, on a line other than `first`'s so each chat has its own number.
    """
    async with PlowClient(base_url, token) as api:
        line = next(ln for ln in await api.lines() if ln.provider_key != first.number)
        chat = await api.create_chat(line.uid, ["Ada"])
        code = chat.members[0].verification_code
        assert code and await sms(base_url, phone, line.provider_key, code) == "member_verified"
        return await api.chat(chat.uid)


async def phone_texts(base_url: str, phone: str) -> list[str]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get(f"/sandbox/phones/{phone}/texts")
        response.raise_for_status()
        return [t["text"] for t in response.json()["data"]]


async def fault(base_url: str, **body: Any) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        (await http.post("/sandbox/faults", json=body)).raise_for_status()


async def fail_chat(base_url: str, chat_uid: str, reason: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        (await http.post(f"/sandbox/chats/{chat_uid}/fail", json={"reason": reason})).raise_for_status()


async def history(base_url: str, token: str, chat_uid: str) -> list[ChatMessage]:
    """Every message of a chat on the server, oldest first."""
    async with PlowClient(base_url, token) as api:
        newest_first = [m async for m in api.history(chat_uid)]
    return list(reversed(newest_first))


async def chats_app(base_url: str, token: str, *, keep_history: bool = False, **config: Any) -> Any:
    """The real app, already signed in with `token` (so it opens the main screen).

    `keep_history`: with its local store where the real app keeps it (under the test's own state directory).
    """
    store = memory_store()
    await store.save_token(base_url, token)
    histories = Histories(base_url) if keep_history else None
    return sandbox_app(base_url, store, real_chats=True, histories=histories, **config)


async def main_screen(pilot: Any) -> ChatsScreen:
    """Wait for the main screen and its first chat list."""
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, ChatsScreen), what="the main screen")
    screen: ChatsScreen = app.screen
    await wait_for(pilot, lambda: screen.chats_loaded, what="the chat list")
    return screen


async def open_chat(pilot: Any, screen: ChatsScreen, chat_uid: str) -> ChatPane:
    """Open `chat_uid` and wait for its newest page."""
    screen.open_chat(chat_uid)
    pane = await wait_for(pilot, lambda: screen.pane(chat_uid), what="the chat's pane")
    await wait_for(pilot, lambda: pane.loaded, what="the chat's messages")
    return pane


def shown_uids(pane: ChatPane) -> list[str]:
    return [entry.uid for entry in pane.conversation.entries]
