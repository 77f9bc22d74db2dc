"""Fakes for the Airy screen: a scripted conversation and stream, and the app around them.

The behaviour tests against the sandbox use the real client (test_airy_sandbox.py);
these fakes make what the real one cannot: fixed times for a snapshot, and a
send that answers only when the test says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

from app_fakes import memory_store

from plow_tui.client.airy.events import AiryEvent, AiryMessagesArrived
from plow_tui.client.airy.models import AiryMessage, AirySender
from plow_tui.client.events import ConnectionChanged
from plow_tui.tui.app import AiryApp
from plow_tui.tui.demo_data import FixedClock, display_options

NOW = datetime(2026, 9, 14, 14, 2, tzinfo=timezone.utc)
URL = "https://airy.example.com"
CHANNEL = "5f1e7c2a-8b4d-4e6f-9a1c-3d2b0e4f6a70"
MIA = AirySender(id="agent-1", name="Mia (Support)")


def airy_message(
    uid: str, text: str, minutes_ago: float, *, visitor: bool, sender: AirySender | None = None, state: str = "delivered"
) -> AiryMessage:
    return AiryMessage(
        id=uid,
        content={"text": text},
        sent_at=NOW - timedelta(minutes=minutes_ago),
        delivery_state=state,
        from_contact=visitor,
        sender=None if visitor else sender,
    )


HISTORY = (
    airy_message("m1", "Hi! I ordered a lamp last week and it hasn't shipped yet.", 9, visitor=True),
    airy_message("m2", "Hello! Sorry about that. Could you give me the order number?", 8, visitor=False, sender=MIA),
    airy_message("m3", "Sure: #40917", 7, visitor=True),
    airy_message("m4", "Thanks. It leaves the warehouse today: [bold]tracking[/bold] follows by mail.", 5, visitor=False, sender=MIA),
    airy_message("m5", "Great, thank you!", 1, visitor=True),
)


class _Client:
    async def aclose(self) -> None:
        pass


class FakeAiryConversation:
    """What the screen uses of `AiryConversation`, scripted.

    `send` answers with the next id once `release` is set (set by default);
    `echo_first` pushes the same message on the stream before answering, as
    a fast socket does.
    """

    def __init__(self, url: str, channel_id: str, store: Any) -> None:
        self.client = _Client()
        self.channel_id = channel_id
        self.conversation_id: str | None = "conv-1"
        self.started = True
        self.events: asyncio.Queue[AiryEvent] = asyncio.Queue()
        self.release = asyncio.Event()
        self.release.set()
        self.echo_first = False
        self.failure: Exception | None = None
        self.sent: list[str] = []

    async def send(self, text: str) -> AiryMessage:
        await self.release.wait()
        if self.failure is not None:
            raise self.failure
        self.sent.append(text)
        message = airy_message(f"sent-{len(self.sent)}", text, 0, visitor=True)
        if self.echo_first:
            self.events.put_nowait(AiryMessagesArrived((message,)))
            await asyncio.sleep(0.05)  # the echo is shown before the answer
        return message


class FakeAiryStream:
    """Says `live`, hands over `history` as one backfill, then whatever the test queues."""

    def __init__(self, conversation: FakeAiryConversation, history: tuple[AiryMessage, ...] = HISTORY) -> None:
        self.conversation = conversation
        self.history = history

    async def events(self) -> AsyncIterator[AiryEvent]:
        yield ConnectionChanged("live")
        if self.history:
            yield AiryMessagesArrived(self.history, backfill=True)
        while True:
            yield await self.conversation.events.get()

    async def close(self) -> None:
        pass


def fake_airy_app(history: tuple[AiryMessage, ...] = HISTORY, **screen_options: Any) -> AiryApp:
    """The Airy app on fakes, at a fixed time; `app.fake` is its conversation once mounted."""
    app: AiryApp

    def conversation(url: str, channel_id: str, store: Any) -> FakeAiryConversation:
        app.fake = FakeAiryConversation(url, channel_id, store)  # type: ignore[attr-defined]
        return app.fake  # type: ignore[attr-defined]

    options = {"conversation_factory": conversation, "stream_factory": lambda c: FakeAiryStream(c, history)}
    options.update(screen_options)
    app = AiryApp(URL, CHANNEL, token_store=memory_store(), screen_options=options, **display_options(FixedClock(NOW)))
    return app
