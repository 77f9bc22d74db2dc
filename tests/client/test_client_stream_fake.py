"""ChatStream against a scripted socket and a MockTransport REST side.

These pin behaviour the sandbox cannot easily provoke: malformed frames,
unknown types, the envelope form with repeated event ids, handshake refusals,
and the exact backoff sequence. The sandbox tests cover the real wire.
"""

from __future__ import annotations

import asyncio
import json
import random
from contextlib import aclosing

import httpx
import pytest
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.frames import Close
from websockets.http11 import Response

from plow_tui.client.errors import NotSignedIn
from plow_tui.client.events import (
    ChatActivated,
    ChatFailed,
    ConnectionChanged,
    MessagesArrived,
    MessageStatusChanged,
    ParticipantVerified,
)
from plow_tui.client.http import PlowClient
from plow_tui.client.stream import ChatStream

CHAT = "cht_1"


def msg(uid: str, chat: str = CHAT, status: str = "received") -> dict:
    return {"uid": uid, "object": "message", "chat_uid": chat, "direction": "inbound", "body": uid, "status": status}


class FakeServer:
    """REST messages (newest first) and a queue of scripted socket connections."""

    def __init__(self) -> None:
        self.messages: dict[str, list[dict]] = {CHAT: []}
        self.tickets: list[dict] = []
        self.connections: list = []  # each: list of frames/str, ending with a close code or an exception

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/ws/ticket":
            self.tickets.append(json.loads(request.content))
            return httpx.Response(200, json={"ticket": f"tkt-{len(self.tickets)}-secret"})
        chat = request.url.path.split("/")[3]
        newest_first = list(reversed(self.messages.get(chat, [])))
        after = request.url.params.get("starting_after")
        if after:
            index = [m["uid"] for m in newest_first].index(after)
            newest_first = newest_first[index + 1 :]
        limit = int(request.url.params.get("limit", 20))
        return httpx.Response(200, json={"data": newest_first[:limit], "has_more": len(newest_first) > limit})

    async def connect(self, url: str, **kwargs):
        assert "ticket=tkt-" in url
        script = self.connections.pop(0)
        if isinstance(script, Exception):
            raise script
        return FakeSocket(script)


class FakeSocket:
    def __init__(self, script: list) -> None:
        self.script = list(script)
        self.close_code: int | None = None
        self.closed = False

    async def recv(self):
        await asyncio.sleep(0)
        item = self.script.pop(0)
        if isinstance(item, int):
            self.close_code = item
            raise ConnectionClosedError(Close(item, "bye"), None)
        return item if isinstance(item, str) else json.dumps(item)

    def __aiter__(self):
        return self

    async def __anext__(self):
        return await self.recv()

    async def close(self) -> None:
        self.closed = True


CONNECTED = {"type": "connected"}


def refused(status: int) -> InvalidStatus:
    return InvalidStatus(Response(status, "Forbidden", Headers()))


@pytest.fixture
async def setup():
    server = FakeServer()
    client = PlowClient("http://plow.test", "tok-abcdefgh", transport=httpx.MockTransport(server.handler))
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    def stream(chat=CHAT, **kw):
        return ChatStream(client, chat, connect=server.connect, sleep=sleep, rng=random.Random(0), **kw)

    yield server, stream, sleeps
    await client.aclose()


async def collect(stream: ChatStream, until) -> list:
    events = []
    async with aclosing(stream.events()) as it:
        async for event in it:
            events.append(event)
            if until(events):
                break
    return events


def delivered(events) -> list[str]:
    return [m.uid for e in events if isinstance(e, MessagesArrived) for m in e.messages]


async def test_drop_backfills_exactly_once_in_order(setup) -> None:
    server, stream, sleeps = setup
    server.messages[CHAT] = [msg("m0")]
    # Connection 1: m1 live, then dropped while m2, m3 are committed.
    # Connection 2: catch-up returns m2, m3; the socket also replays m3 (overlap) then m4.
    server.connections = [
        [CONNECTED, {"type": "message_received", "message": msg("m1")}, 1011],
        [CONNECTED, {"type": "message_received", "message": msg("m3")}, {"type": "message_received", "message": msg("m4")}, 1011],
    ]
    original = server.connect

    async def connect(url, **kw):
        if len(server.connections) == 1:
            server.messages[CHAT] += [msg("m1"), msg("m2"), msg("m3")]
        return await original(url, **kw)

    server.connect = connect
    s = stream()
    s._connect = connect
    events = await collect(s, lambda ev: "m4" in delivered(ev))
    assert delivered(events) == ["m1", "m2", "m3", "m4"]
    backfills = [e for e in events if isinstance(e, MessagesArrived) and e.backfill]
    assert [m.uid for m in backfills[0].messages] == ["m2", "m3"]
    states = [e.state for e in events if isinstance(e, ConnectionChanged)]
    assert states == ["connecting", "live", "reconnecting", "connecting", "live"]
    assert len(sleeps) == 1 and 0.75 <= sleeps[0] <= 1.25
    assert server.tickets == [{"chat_id": CHAT}, {"chat_id": CHAT}]  # a fresh ticket per connection


async def test_last_uid_backfills_on_first_connect(setup) -> None:
    server, stream, _ = setup
    server.messages[CHAT] = [msg("m1"), msg("m2"), msg("m3")]
    server.connections = [[CONNECTED, 1011]]
    events = await collect(stream(last_uid="m1"), lambda ev: isinstance(ev[-1], ConnectionChanged) and ev[-1].state == "live")
    arrived = [e for e in events if isinstance(e, MessagesArrived)]
    assert len(arrived) == 1 and arrived[0].backfill
    assert delivered(events) == ["m2", "m3"]


async def test_no_messages_backfills_from_the_first(setup) -> None:
    from plow_tui.client.stream import NO_MESSAGES

    server, stream, _ = setup
    server.messages[CHAT] = [msg("m1"), msg("m2")]  # arrived before the socket was up
    server.connections = [[CONNECTED, 1011]]
    events = await collect(stream(last_uid=NO_MESSAGES), lambda ev: isinstance(ev[-1], ConnectionChanged) and ev[-1].state == "live")
    assert delivered(events) == ["m1", "m2"]


async def test_unknown_last_uid_starts_from_now(setup) -> None:
    server, stream, _ = setup
    server.messages[CHAT] = [msg("m1"), msg("m2")]
    server.connections = [[CONNECTED, {"type": "message_received", "message": msg("m3")}, 1011]]
    events = await collect(stream(), lambda ev: "m3" in delivered(ev))
    assert delivered(events) == ["m3"]


async def test_junk_frames_are_skipped_and_other_events_typed(setup, caplog) -> None:
    server, stream, _ = setup
    server.connections = [
        [
            CONNECTED,
            "{not json",
            "[1, 2]",
            {"type": "brand_new_thing", "x": 1},
            {"type": "message_received"},
            {"type": "message_received", "message": msg("m1")},
            {"type": "message_received", "message": msg("m1")},
            {"type": "message_status_updated", "message": msg("m1", status="delivered")},
            {"type": "participant_verified", "participant": {"uid": "cp_1", "status": "active"}},
            {"type": "chat_active", "chat": {"uid": CHAT, "status": "active"}},
            {"type": "chat_activation_failed", "reason": "timeout", "message": "Nobody verified."},
            1011,
        ]
    ]
    events = await collect(stream(), lambda ev: isinstance(ev[-1], ChatFailed))
    kinds = [type(e).__name__ for e in events if not isinstance(e, ConnectionChanged)]
    assert kinds == ["MessagesArrived", "MessageStatusChanged", "ParticipantVerified", "ChatActivated", "ChatFailed"]
    status = next(e for e in events if isinstance(e, MessageStatusChanged))
    assert status.message.status == "delivered"
    verified = next(e for e in events if isinstance(e, ParticipantVerified))
    assert verified.chat_uid == CHAT and verified.member.uid == "cp_1"
    assert next(e for e in events if isinstance(e, ChatActivated)).chat.status == "active"
    assert events[-1] == ChatFailed(CHAT, "timeout", "Nobody verified.")
    assert "tkt-" not in caplog.text


async def test_envelope_form_dedupes_event_ids_and_tracks_chats(setup) -> None:
    server, stream, _ = setup
    server.messages["cht_2"] = []

    def env(event_id, chat, uid):
        return {
            "event_id": event_id,
            "event_type": "message_received",
            "chat_id": chat,
            "data": {"type": "message_received", "message": {**msg(uid, chat), "chat_uid": None}},
        }

    server.connections = [
        [CONNECTED, env("evt_1", "cht_2", "m1"), env("evt_1", "cht_2", "m1"), env("evt_2", "cht_2", "m1"), 1011],
        [CONNECTED, env("evt_3", "cht_2", "m3"), 1011],
    ]
    original = server.connect

    async def connect(url, **kw):
        if len(server.connections) == 1:
            server.messages["cht_2"] = [msg("m1", "cht_2"), msg("m2", "cht_2"), msg("m3", "cht_2")]
        return await original(url, **kw)

    s = stream(chat=None)
    s._connect = connect
    events = await collect(s, lambda ev: "m3" in delivered(ev))
    assert delivered(events) == ["m1", "m2", "m3"]
    assert all(m.chat_uid == "cht_2" for e in events if isinstance(e, MessagesArrived) for m in e.messages)
    assert server.tickets == [{}, {}]


async def test_close_4401_stops_with_not_signed_in(setup) -> None:
    server, stream, sleeps = setup
    server.connections = [[CONNECTED, 4401]]
    events = []
    with pytest.raises(NotSignedIn):
        async for event in stream().events():
            events.append(event)
    assert events[-1] == ConnectionChanged("offline", None, "not signed in")
    assert sleeps == []


async def test_handshake_403_twice_is_not_signed_in(setup) -> None:
    server, stream, sleeps = setup
    server.connections = [refused(403), refused(403)]
    with pytest.raises(NotSignedIn) as info:
        async for _ in stream().events():
            pass
    assert "tkt-" not in str(info.value)
    assert len(sleeps) == 1


async def test_network_failures_back_off_doubling_to_the_cap(setup) -> None:
    server, stream, sleeps = setup
    server.connections = [OSError("refused")] * 7 + [[CONNECTED, 1011]]
    events = await collect(
        stream(backoff_initial=1.0, backoff_max=8.0),
        lambda ev: any(isinstance(e, ConnectionChanged) and e.state == "live" for e in ev),
    )
    offline = [e for e in events if isinstance(e, ConnectionChanged) and e.state == "offline"]
    assert len(offline) == 7 and all(e.retry_in == s for e, s in zip(offline, sleeps))
    bases = [1, 2, 4, 8, 8, 8, 8]
    assert all(0.75 * b <= s <= min(8.0, 1.25 * b) for b, s in zip(bases, sleeps))


async def test_retry_now_ends_the_wait_for_a_reconnect() -> None:
    # The server is back (another request got through, or the person pressed Ctrl+R):
    # the stream connects at once instead of sitting out up to 30 s of backoff.
    server = FakeServer()
    server.connections = [OSError("refused"), [CONNECTED, 1011]]
    client = PlowClient("http://plow.test", "tok-abcdefgh", transport=httpx.MockTransport(server.handler))
    waiting = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()  # the backoff never ends on its own here

    stream = ChatStream(client, CHAT, connect=server.connect, sleep=sleep, rng=random.Random(0))
    states: list[str] = []

    async def follow() -> None:
        async with aclosing(stream.events()) as events:
            async for event in events:
                if isinstance(event, ConnectionChanged):
                    states.append(event.state)
                    if event.state == "live":
                        return

    following = asyncio.create_task(follow())
    await asyncio.wait_for(waiting.wait(), 10)
    stream.retry_now()
    await asyncio.wait_for(following, 10)
    assert states == ["connecting", "offline", "connecting", "live"]
    await client.aclose()


async def test_a_catch_up_that_fails_for_one_chat_loses_no_other_chats_messages() -> None:
    # All chats on one socket: cht_1's catch-up was read, then cht_2's failed. The stream
    # reconnects and catches up again; what it read for cht_1 was never delivered, so it
    # must come then (it used to be remembered as delivered, and lost).
    server = FakeServer()
    server.messages = {CHAT: [msg("m0"), msg("m1"), msg("m2")], "cht_2": [msg("n0", "cht_2"), msg("n1", "cht_2")]}
    failures = [1]

    def handler(request: httpx.Request) -> httpx.Response:
        if "/cht_2/" in request.url.path and failures[0]:
            failures[0] -= 1
            return httpx.Response(500, json={"error": {"type": "api_error", "message": "boom"}})
        return server.handler(request)

    server.connections = [[CONNECTED, 1011], [CONNECTED, 1011]]

    async def sleep(seconds: float) -> None:
        pass

    async with PlowClient("http://plow.test", "tok-abcdefgh", transport=httpx.MockTransport(handler), max_retries=0) as client:
        stream = ChatStream(
            client, None, last_uids={CHAT: "m0", "cht_2": "n0"}, connect=server.connect, sleep=sleep, rng=random.Random(0)
        )
        events = await collect(stream, lambda ev: "n1" in delivered(ev))
    assert delivered(events) == ["m1", "m2", "n1"]
    assert [e.state for e in events if isinstance(e, ConnectionChanged)] == ["connecting", "reconnecting", "connecting"]


async def test_a_catch_up_is_announced_and_its_batch_not_kept_by_the_stream(setup) -> None:
    import gc

    from plow_tui.client.models import ChatMessage

    server, stream, _ = setup
    server.messages[CHAT] = [msg(f"m{n}") for n in range(250)]  # three pages
    server.connections = [[CONNECTED, {"type": "message_received", "message": msg("live")}, 1011]]
    requests = server.handler
    log: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        log.append(request.url.path.rsplit("/", 1)[-1])
        return requests(request)

    client = PlowClient("http://plow.test", "tok-abcdefgh", transport=httpx.MockTransport(handler))
    s = ChatStream(
        client, CHAT, last_uid="m9", connect=server.connect, rng=random.Random(0), on_catch_up=lambda: log.append("catch-up")
    )
    try:
        async with aclosing(s.events()) as events:
            async for event in events:
                if isinstance(event, MessagesArrived) and event.backfill:
                    assert len(event.messages) == 240
                    break
            del event  # consumed and let go
            assert await anext(events) == ConnectionChanged("live")
            # The stream, live on that connection, holds none of the batch's messages.
            gc.collect()
            assert not [o for o in gc.get_objects() if isinstance(o, ChatMessage) and o.chat_uid == CHAT]
    finally:
        await client.aclose()
    assert log[:3] == ["ticket", "catch-up", "messages"]  # announced once connected, before the walk
    assert log.count("catch-up") == 1


async def test_a_catch_up_reads_no_page_past_its_anchor(setup) -> None:
    server, _, _ = setup
    server.messages[CHAT] = [msg(f"m{n}") for n in range(350)]  # pages of 100: the anchor is in the third
    server.connections = [[CONNECTED, 1011]]
    pages: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/messages"):
            pages.append(request.url.params.get("starting_after"))
        return server.handler(request)

    client = PlowClient("http://plow.test", "tok-abcdefgh", transport=httpx.MockTransport(handler))
    try:
        stream = ChatStream(client, CHAT, last_uid="m100", connect=server.connect, rng=random.Random(0))
        events = await collect(stream, lambda ev: isinstance(ev[-1], ConnectionChanged) and ev[-1].state == "live")
    finally:
        await client.aclose()
    assert delivered(events) == [f"m{n}" for n in range(101, 350)]
    assert pages == [None, "m250", "m150"]  # not "m50": the anchor's page ends the walk


async def test_a_catch_up_shows_each_page_to_its_consumer_while_the_next_is_on_its_way(setup) -> None:
    # So the app can make its entries of a page while the walk waits for the server, not all after
    # the last page. Each page's new messages once, newest first, before the batch, each told only
    # once the next page's request is out; the last page's come only with the batch.
    server, _, _ = setup
    server.messages[CHAT] = [msg(f"m{n}") for n in range(350)]  # pages of 100: the anchor is in the fourth
    server.connections = [[CONNECTED, 1011]]
    log: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/messages"):
            log.append(("asked", request.url.params.get("starting_after")))
        return server.handler(request)

    def page(messages) -> None:
        log.append([m.uid for m in messages])

    client = PlowClient("http://plow.test", "tok-abcdefgh", transport=httpx.MockTransport(handler))
    try:
        stream = ChatStream(client, CHAT, last_uid="m30", connect=server.connect, rng=random.Random(0), on_catch_up_page=page)
        events = await collect(stream, lambda ev: isinstance(ev[-1], ConnectionChanged) and ev[-1].state == "live")
    finally:
        await client.aclose()
    assert delivered(events) == [f"m{n}" for n in range(31, 350)]
    told = [entry for entry in log if isinstance(entry, list)]
    assert told == [[f"m{n}" for n in range(349, 249, -1)], [f"m{n}" for n in range(249, 149, -1)], [f"m{n}" for n in range(149, 49, -1)]]
    # Each page told after the request for the page two below it went out.
    assert log.index(told[0]) > log.index(("asked", "m150")) and log.index(told[1]) > log.index(("asked", "m50"))
