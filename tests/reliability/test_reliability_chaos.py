"""Chaos: a stream and the app follow a chat through drops, 429/503s, delivery faults and stale tickets.

The sandbox carries a few hundred inbound and outbound messages while, at
seeded random moments, it drops every socket, answers the next requests with
429 or 503, changes how (and how late) delivery updates come, and the next
WebSocket ticket is made stale before use. Afterwards both the client
stream's transcript and the app's conversation equal the server's history:
same uids in the same order, no duplicates, same bodies and delivery states.

Replay a failure with `PLOW_CHAOS_SEED=<seed printed in the failure>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from typing import Any

import httpx
import pytest
from reliability_helpers import TicketBurner, app_on, fast_sleep, memory_store_with, new_phone, pick, sign_up, sms, until

import plow_tui.client.stream as stream_module
from plow_tui.client.events import MessagesArrived, MessageStatusChanged
from plow_tui.client.http import PlowClient
from plow_tui.client.stream import NO_MESSAGES, ChatStream
from plow_tui.sandbox import SandboxConfig, SandboxServer
from plow_tui.tui.plow.chats import ChatsScreen
from plow_tui.tui.widgets.conversation import Conversation

SEED = int(os.environ.get("PLOW_CHAOS_SEED", "7117"))
MESSAGES = 400
FAULT_CHANCE = 0.08  # per message: about twenty faults in a run
Row = tuple[str, str, bool, "str | None"]  # uid, body, outbound, delivery state (None inbound)


class ChaosStream(ChatStream):
    """A ChatStream with short backoff whose tickets the chaos can make stale."""

    burners: list[TicketBurner] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        burner = TicketBurner()
        ChaosStream.burners.append(burner)
        kwargs.setdefault("backoff_initial", 0.05)
        kwargs.setdefault("backoff_max", 0.2)
        kwargs.setdefault("connect", burner.connect)
        super().__init__(*args, **kwargs)


class Transcript:
    """What a consumer of a ChatStream shows: messages in arrival order, statuses as updated."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.rows: dict[str, list[Any]] = {}

    def apply(self, event: Any) -> None:
        if isinstance(event, MessagesArrived):
            for m in event.messages:
                self.order.append(m.uid)  # duplicates kept: the check must see them
                self.rows[m.uid] = [m.body, m.is_outbound, m.status if m.is_outbound else None]
        elif isinstance(event, MessageStatusChanged) and event.message.uid in self.rows:
            self.rows[event.message.uid][2] = event.message.status

    def view(self) -> list[Row]:
        return [(uid, *self.rows[uid]) for uid in self.order]  # type: ignore[misc]


def server_view(messages: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for m in messages:
        outbound = m["direction"] == "outbound"
        rows.append((m["uid"], m["body"], outbound, m["status"] if outbound else None))
    return rows


async def server_history(http: httpx.AsyncClient, headers: dict[str, str], chat_uid: str) -> list[dict[str, Any]]:
    """Every message on the server, oldest first (read after the faults are cleared)."""
    newest_first: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if after:
            params["starting_after"] = after
        page = (await http.get(f"/v1/chats/{chat_uid}/messages", params=params, headers=headers)).json()
        newest_first += page["data"]
        if not page["has_more"]:
            return newest_first[::-1]
        after = page["data"][-1]["uid"]


async def send_through_faults(http: httpx.AsyncClient, headers: dict[str, str], chat_uid: str, body: str) -> None:
    # Only the driver may retry a send: it knows an injected 429/503 never committed.
    for _ in range(20):
        answer = await http.post(f"/v1/chats/{chat_uid}/messages", json={"body": body}, headers=headers)
        if answer.status_code == 201:
            return
        assert answer.status_code in (429, 503), answer.text
    raise AssertionError("the injected failures never ran out")


async def run_chaos(
    rng: random.Random, http: httpx.AsyncClient, token: str, chat: Any, phone: str, open_chat: Any
) -> dict[str, int]:
    """The traffic and the faults; returns how many of each fault were injected.

    The app opens the chat a quarter of the way in, while messages flow.
    """
    headers = {"Authorization": f"Bearer {token}"}
    counts = dict.fromkeys(["drop", "fail", "delivery", "stale_ticket"], 0)
    for i in range(MESSAGES):
        if i == MESSAGES // 4:
            open_chat()
        if rng.random() < 0.5:
            assert await sms(http, phone, chat.number, f"in {i} {rng.random():.6f}") == "message"
        else:
            await send_through_faults(http, headers, chat.uid, f"out {i}")
        if rng.random() < FAULT_CHANCE:
            fault = pick(rng, [(3, "drop"), (3, "fail"), (3, "delivery"), (2, "stale_ticket")])
            counts[fault] += 1
            if fault == "drop":
                (await http.post("/sandbox/faults", json={"drop_sockets": True})).raise_for_status()
            elif fault == "fail":
                body = {"fail_next": {"status": rng.choice([429, 503]), "count": rng.randint(1, 3)}}
                (await http.post("/sandbox/faults", json=body)).raise_for_status()
            elif fault == "delivery":
                mode = rng.choice(["delivered", "delivered", "failed", "none"])
                body = {"delivery": mode, "delivery_delay_ms": rng.choice([0, 5, 40, 150])}
                (await http.post("/sandbox/faults", json=body)).raise_for_status()
            else:
                for burner in ChaosStream.burners:
                    burner.armed = True
                (await http.post("/sandbox/faults", json={"drop_sockets": True})).raise_for_status()
        if rng.random() < 0.2:
            await asyncio.sleep(rng.uniform(0, 0.03))
    # Let the last delivery updates come, then stop failing requests.
    (await http.post("/sandbox/faults", json={"fail_next": {"status": 400, "count": 0}})).raise_for_status()
    return counts


async def test_chaos_transcripts_equal_the_server_history(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_module, "ChatStream", ChaosStream)
    ChaosStream.burners = []
    rng = random.Random(SEED)
    with SandboxServer(SandboxConfig(port=0, seed=SEED, delivery_delay_ms=20)) as sandbox:
        base = sandbox.base_url
        phone = new_phone()
        token, chat = await sign_up(base, phone)
        app = app_on(base, await memory_store_with(base, token), notifications=False)
        transcript = Transcript()
        async with (
            app.run_test(size=(100, 30)) as pilot,
            PlowClient(base, token, max_retries=4, sleep=fast_sleep) as api,
            httpx.AsyncClient(base_url=base, timeout=10) as http,
        ):
            screen = await until(pilot, lambda: isinstance(app.screen, ChatsScreen) and app.screen, "the main screen")
            await until(pilot, lambda: screen.chats_loaded, "the chat list")
            await until(pilot, lambda: screen.stream_live, "the live stream")

            stream = ChaosStream(api, chat.uid, last_uid=NO_MESSAGES)

            async def consume() -> None:
                async with contextlib.aclosing(stream.events()) as events:
                    async for event in events:
                        transcript.apply(event)

            consumer = asyncio.create_task(consume())
            try:
                counts = await run_chaos(rng, http, token, chat, phone, lambda: screen.open_chat(chat.uid))
                pane = await until(pilot, lambda: screen.pane(chat.uid), "the pane")
                headers = {"Authorization": f"Bearer {token}"}
                expected: list[Row] = []
                app_view: list[Row] = []

                def settled() -> bool:
                    nonlocal app_view
                    app_view = [(e.uid, e.body, e.outbound, e.state) for e in pane.conversation.entries]
                    return transcript.view() == expected and app_view == expected

                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    if pane.has_older and not pane.loading_older:
                        # What scrolling to the top does: the app shows history a page at a time.
                        conversation = pane.conversation
                        conversation.post_message(Conversation.NearTop(conversation, conversation.oldest_uid))
                    expected = server_view(await server_history(http, headers, chat.uid))
                    if settled():
                        break
                    await pilot.pause(0.2)
                assert consumer.done() is False, consumer  # the stream never gave up
            finally:
                consumer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await consumer
    burnt = sum(burner.burnt for burner in ChaosStream.burners)
    context = f"seed {SEED}, faults {counts}, stale tickets used {burnt}"
    assert len(expected) == MESSAGES, context
    # The chaos really happened: faults of every kind, stale tickets refused.
    assert sum(counts.values()) >= 12 and all(counts.values()) and burnt, context
    assert_same(transcript.view(), expected, "client stream", context)
    assert_same(app_view, expected, "app conversation", context)
    # No wall-clock bound here: on a loaded machine it measures the machine; a hang is pytest-timeout's to catch.


def assert_same(seen: list[Row], expected: list[Row], who: str, context: str) -> None:
    uids = [row[0] for row in seen]
    duplicates = sorted({u for u in uids if uids.count(u) > 1})
    missing = [row[0] for row in expected if row[0] not in set(uids)]
    assert not duplicates, f"{who}: duplicates {duplicates[:5]} ({context})"
    assert not missing, f"{who}: lost {len(missing)} messages, e.g. {missing[:5]} ({context})"
    order = [row[0] for row in expected]
    first = next((i for i, (a, b) in enumerate(zip(uids, order)) if a != b), None)
    around = None if first is None else (seen[max(0, first - 1) : first + 3], expected[max(0, first - 1) : first + 3])
    assert uids == order, f"{who}: wrong order from index {first} of {len(order)}: {around} ({context})"
    wrong = [(s, e) for s, e in zip(seen, expected) if s != e]
    assert not wrong, f"{who}: {len(wrong)} rows differ, e.g. {wrong[:3]} ({context})"


async def test_a_delivery_update_lost_in_a_drop_is_recovered() -> None:
    """The one-fault version of the chaos: `delivered` happens while the socket is down."""
    with SandboxServer(SandboxConfig(port=0, seed=3, delivery_delay_ms=300)) as sandbox:
        token, chat = await sign_up(sandbox.base_url, new_phone())
        async with (
            PlowClient(sandbox.base_url, token, sleep=fast_sleep) as api,
            httpx.AsyncClient(base_url=sandbox.base_url) as http,
        ):
            stream = ChatStream(api, chat.uid, last_uid=NO_MESSAGES, backoff_initial=0.5, backoff_max=0.5)
            transcript = Transcript()
            sent: Any = None

            async def follow() -> None:
                nonlocal sent
                async with contextlib.aclosing(stream.events()) as events:
                    async for event in events:
                        transcript.apply(event)
                        if sent is None and getattr(event, "state", None) == "live":
                            sent = await api.send_message(chat.uid, "hello")
                            # Down before the update (300 ms) and back only after it (500 ms).
                            (await http.post("/sandbox/faults", json={"drop_sockets": True})).raise_for_status()
                        if sent is not None and transcript.view() == [(sent.uid, "hello", True, "delivered")]:
                            return

            await asyncio.wait_for(follow(), 10)
