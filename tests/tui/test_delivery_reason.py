"""A delivery failure says the server's reason whether it came live or through the REST catch-up."""

from __future__ import annotations

import asyncio
from datetime import timezone

from app_fakes import memory_store, sandbox_factory, screen_text, squash, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import fault, history, main_screen, new_phone, open_chat, sign_up
from support.waits import eventually

from plow_tui.client.http import PlowClient
from plow_tui.tui.app import AppConfig, PlowApp

REASON = "carrier refused"


class _GatedTickets(PlowClient):
    """Holds every live-connection ticket while `gate` is closed: the socket stays down for as long as a test needs."""

    gate: asyncio.Event  # a new one per test: an Event belongs to the loop that first waits on it
    waiting = 0

    async def ws_ticket(self, chat_uid: str | None) -> str:
        type(self).waiting += 1
        try:
            await type(self).gate.wait()
        finally:
            type(self).waiting -= 1
        return await super().ws_ticket(chat_uid)


async def _app(base: str, token: str) -> PlowApp:
    _GatedTickets.gate = asyncio.Event()
    _GatedTickets.gate.set()
    store = memory_store()
    await store.save_token(base, token)
    return PlowApp(
        AppConfig(api_url=base, sandbox=True, name="Ada"),
        token_store=store,
        client_factory=lambda url, tok=None: _GatedTickets(url, tok, max_retries=0, timeout=5.0),
        tz=timezone.utc,
        cursor_blink=False,
        animation_level="none",
    )


async def _socket_held_down(pilot, screen, base: str) -> None:  # noqa: ANN001
    _GatedTickets.gate.clear()
    await fault(base, drop_sockets=True)
    await wait_for(pilot, lambda: _GatedTickets.waiting > 0 and not screen.stream_live, what="the socket held down")


async def _failed_on_server(base: str, token: str, chat_uid: str) -> None:
    async def failed() -> bool:
        return any(m.status == "failed" for m in await history(base, token, chat_uid))

    await eventually(failed, "the server to mark the text failed")


async def test_a_failure_first_seen_in_the_catch_up_shows_the_server_s_reason(sandbox_factory) -> None:
    # A text sent elsewhere while the socket is down, failed before it comes back: the catch-up brings it
    # already failed (MessagesArrived), never as a status update.
    base = sandbox_factory(delivery_delay_ms=0).base_url
    token, chat = await sign_up(base, new_phone())
    await fault(base, delivery="failed", failure_reason=REASON)
    app = await _app(base, token)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        pane = await open_chat(pilot, screen, chat.uid)
        await wait_for(pilot, lambda: screen.stream_live, what="the live stream")
        await _socket_held_down(pilot, screen, base)
        async with PlowClient(base, token) as api:
            await api.send_message(chat.uid, "sent from elsewhere")
        await _failed_on_server(base, token, chat.uid)
        _GatedTickets.gate.set()
        await wait_for(pilot, lambda: [e.state for e in pane.conversation.entries] == ["failed"], what="the text")
        await wait_for(pilot, lambda: f"Not delivered (✗): {REASON}" in squash(screen_text(app)), what="the reason")


async def test_a_failure_learnt_in_the_catch_up_of_a_text_sent_here_shows_the_server_s_reason(sandbox_factory) -> None:
    # The app's own text went out (the echo said `sent`); its failure happened while the socket was down,
    # so the catch-up re-reads it over REST (MessageStatusChanged from a REST message).
    base = sandbox_factory(delivery_delay_ms=1500).base_url
    token, chat = await sign_up(base, new_phone())
    await fault(base, delivery="failed", failure_reason=REASON)
    app = await _app(base, token)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        pane = await open_chat(pilot, screen, chat.uid)
        await wait_for(pilot, lambda: screen.stream_live, what="the live stream")
        pane.compose_box.draft = "sent from here"
        pane.compose_box.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: [e.state for e in pane.conversation.entries] == ["sent"], what="sent")
        await _socket_held_down(pilot, screen, base)
        await _failed_on_server(base, token, chat.uid)
        _GatedTickets.gate.set()
        await wait_for(pilot, lambda: [e.state for e in pane.conversation.entries] == ["failed"], what="failed")
        await wait_for(pilot, lambda: f"Not delivered (✗): {REASON}" in squash(screen_text(app)), what="the reason")
