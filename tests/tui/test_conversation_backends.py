"""One conversation behaviour, every backend: the same tests run on a Plow chat and on the Airy channel.

Both show a conversation in the shared `ChatPanel` and send through their own
`Sending`; what a person sees must not depend on which server is behind it.
Each backend runs against its sandbox over real HTTP and WebSocket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timezone
from typing import Any

import httpx
import pytest
from app_fakes import memory_store, sandbox_factory, screen_text, squash, wait_for  # noqa: F401 - a fixture
from chats_helpers import opened_chat, signed_up, sms

from plow_tui.tui.airy.screen import AiryScreen
from plow_tui.tui.standalone import AiryApp
from plow_tui.tui.widgets.chat_panel import ChatPanel

CHANNEL = "0b7c9a52-3e1d-4f60-8a2b-5c4d3e2f1a09"


@dataclass
class Backend:
    """A conversation open in the app, and a way for the other side to write into it."""

    pilot: Any
    panel: ChatPanel
    other_side_says: Callable[[str], Awaitable[None]]


@asynccontextmanager
async def _plow(sandbox_factory: Callable[..., Any]) -> AsyncIterator[Backend]:
    account = await signed_up(sandbox_factory)

    async def says(text: str) -> None:
        await sms(account.base, account.phone, account.chat.number, text)

    async with opened_chat(account) as s:
        s.pane.compose_box.focus()
        yield Backend(s.pilot, s.pane, says)


@asynccontextmanager
async def _airy(sandbox_factory: Callable[..., Any]) -> AsyncIterator[Backend]:
    base = sandbox_factory(airy_channel=CHANNEL).base_url
    app = AiryApp(base, CHANNEL, token_store=memory_store(), tz=timezone.utc, cursor_blink=False, animation_level="none")

    async def says(text: str) -> None:
        # The sandbox's agent answers the visitor's one conversation on the channel.
        async with httpx.AsyncClient(base_url=base) as http:
            listing = (await http.get("/sandbox/airy/conversations")).json()["conversations"]
            (conversation,) = [c["id"] for c in listing if c["channel_id"] == CHANNEL]
            (await http.post(f"/sandbox/airy/conversations/{conversation}/messages", json={"text": text})).raise_for_status()

    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, AiryScreen) and app.screen, what="the Airy screen")
        await wait_for(pilot, lambda: screen.compose_box.disabled_reason is None, what="the conversation to start")
        yield Backend(pilot, screen.panel, says)


@pytest.fixture(params=["plow", "airy"])
async def backend(request: pytest.FixtureRequest, sandbox_factory: Callable[..., Any]) -> AsyncIterator[Backend]:
    """Each test once per backend (harlequin's `app_all_adapters`)."""
    opened = _plow if request.param == "plow" else _airy
    async with opened(sandbox_factory) as conversation:
        yield conversation


def _settled(panel: ChatPanel) -> bool:
    return not any(e.uid.startswith("local-") for e in panel.conversation.entries)


async def _send(backend: Backend, text: str) -> None:
    await wait_for(backend.pilot, lambda: backend.pilot.app.focused is backend.panel.compose_box, what="the editor")
    backend.panel.compose_box.draft = text
    await backend.pilot.press("enter")


async def test_a_sent_text_shows_at_once_and_settles_as_one_message(backend: Backend) -> None:
    panel = backend.panel
    before = len(panel.conversation.entries)
    await _send(backend, "on my way")
    # At once: in the conversation (sending, or already answered), and out of the editor.
    assert [e.body for e in panel.conversation.entries[before:]] == ["on my way"]
    assert panel.compose_box.draft == ""
    await wait_for(backend.pilot, lambda: _settled(panel), what="the server's answer")
    (sent,) = [e for e in panel.conversation.entries if e.body == "on my way"]
    assert sent.outbound and sent.author == "you" and sent.state in ("sent", "delivered")
    assert backend.pilot.app.focused is panel.compose_box  # ready for the next one


async def test_the_other_side_shows_below_literally(backend: Backend) -> None:
    panel = backend.panel
    await _send(backend, "anyone there?")  # an Airy conversation begins with the visitor
    await wait_for(backend.pilot, lambda: _settled(panel), what="the sent text")
    await backend.other_side_says("yes, [b]here[/b]")
    await wait_for(backend.pilot, lambda: panel.conversation.entries[-1].body == "yes, [b]here[/b]", what="the answer")
    answer = panel.conversation.entries[-1]
    assert not answer.outbound and answer.state is None
    assert [e.body for e in panel.conversation.entries[-2:]] == ["anyone there?", "yes, [b]here[/b]"]
    assert "yes, [b]here[/b]" in squash(screen_text(backend.pilot.app))  # network text is never markup


async def test_a_panel_whose_children_went_while_it_mounted_does_not_raise() -> None:
    # The app quit while a chat's panel was still mounting (just signed in): its
    # children were gone by the time its on_mount drew the header and failure
    # lines, and looking them up raised NoMatches on the way out.
    from datetime import datetime, timezone

    from support.widget_host import WidgetHost

    from plow_tui.tui.widgets.chat_panel import ChatPanel, Sending

    class Pruning(Sending):
        def on_mount(self) -> None:
            self.parent.remove_children()  # as the app's shutdown does, mid-mount

    app = WidgetHost()
    async with app.run_test(size=(60, 20)) as pilot:
        panel = ChatPanel(Pruning, clock=lambda: datetime.now(timezone.utc))
        panel.show_failure("gone")
        await app.mount(panel)
        await pilot.pause()
        assert not panel.children
