"""PlowClient against httpx.MockTransport: odd payloads, retries, error mapping, secrets."""

from __future__ import annotations

import asyncio
import json
import random

import httpx
import pytest

from plow_tui import __version__
from plow_tui.client.errors import (
    ActivationExpired,
    ChatNotReady,
    DeliveryUnknown,
    NetworkError,
    NotFound,
    NotSignedIn,
    RateLimited,
    ServerUnavailable,
)
from plow_tui.client.http import PlowClient


class Recorder:
    def __init__(self, responses):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        return item


def make(responses, token="tok-secret-1234", **kw):
    rec = Recorder(responses)
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    client = PlowClient(
        "http://plow.test/v1/", token, transport=httpx.MockTransport(rec), sleep=sleep, rng=random.Random(1), **kw
    )
    return client, rec, sleeps


async def test_base_url_headers_and_auth() -> None:
    client, rec, _ = make([httpx.Response(200, json={"object": "list", "data": [{"uid": "ln_1"}], "has_more": False})])
    async with client:
        lines = await client.lines()
    assert [line.uid for line in lines] == ["ln_1"]
    request = rec.requests[0]
    assert str(request.url) == "http://plow.test/v1/lines"
    assert request.headers["Authorization"] == "Bearer tok-secret-1234"
    assert request.headers["User-Agent"].startswith(f"plow-tui/{__version__}")
    assert "tok-secret" not in repr(client)


async def test_no_token_raises_without_a_request() -> None:
    client, rec, _ = make([httpx.Response(200, json={})], token=None)
    with pytest.raises(NotSignedIn):
        await client.chats()
    assert rec.requests == []


async def test_activate_and_redeem_send_no_auth() -> None:
    client, rec, _ = make(
        [
            httpx.Response(200, json={"display_code": "ABCDE", "activation_secret": "act_x1", "send_to": "+1555", "line_id": "ln_1"}),
            httpx.Response(200, json={"status": "verified", "token": "tok-new-123456", "chat": None}),
        ],
        token=None,
    )
    start = await client.activate(name="Ada")
    assert start.text == "Plow Activate: ABCDE"
    assert json.loads(rec.requests[0].content) == {"provision_chat": True, "name": "Ada"}
    result = await client.redeem(start.activation_secret)
    assert result.token == "tok-new-123456" and result.chat is None
    assert all("Authorization" not in r.headers for r in rec.requests)
    assert "tok-new" not in repr(result) and "act_x1" not in repr(start)


async def test_reads_retry_on_429_and_503_honouring_retry_after() -> None:
    client, rec, sleeps = make(
        [
            httpx.Response(429, json={"detail": "slow"}, headers={"Retry-After": "2"}),
            httpx.Response(503, json={"detail": "busy"}),
            httpx.Response(200, json={"data": [], "has_more": False}),
        ]
    )
    assert await client.chats() == []
    assert len(rec.requests) == 3
    assert sleeps[0] == 2.0 and 0 < sleeps[1] <= 1.0


async def test_reads_give_up_after_max_retries() -> None:
    client, rec, sleeps = make([httpx.Response(502, json={"detail": "bad gateway"})], max_retries=2)
    with pytest.raises(ServerUnavailable):
        await client.chats()
    assert len(rec.requests) == 3 and len(sleeps) == 2


async def test_connect_errors_retry_reads_then_raise_network_error() -> None:
    client, rec, _ = make([httpx.ConnectError("refused")], max_retries=1)
    with pytest.raises(NetworkError) as info:
        await client.chat("cht_1")
    assert len(rec.requests) == 2
    assert "tok" not in str(info.value)


async def test_sends_are_never_retried() -> None:
    client, rec, sleeps = make([httpx.Response(503, json={"detail": "oops"})])
    with pytest.raises(DeliveryUnknown):
        await client.send_message("cht_1", "hi")
    assert len(rec.requests) == 1 and sleeps == []
    client, rec, _ = make([httpx.ReadTimeout("slow")])
    with pytest.raises(DeliveryUnknown):
        await client.send_message("cht_1", "hi")
    assert len(rec.requests) == 1


async def test_chat_not_ready_and_redeem_expired() -> None:
    client, _, _ = make([httpx.Response(409, json={"error": {"code": "CHAT_NOT_READY", "message": "pending"}})])
    with pytest.raises(ChatNotReady):
        await client.send_message("cht_1", "hi")
    client, _, _ = make([httpx.Response(410, json={"detail": "expired"})])
    with pytest.raises(ActivationExpired):
        await client.redeem("act_abc")


async def test_rate_limit_with_long_retry_after_is_raised() -> None:
    client, rec, _ = make([httpx.Response(429, headers={"Retry-After": "3600"})])
    with pytest.raises(RateLimited) as info:
        await client.lines()
    assert info.value.retry_after == 3600 and len(rec.requests) == 1


async def test_uids_are_quoted_into_one_segment() -> None:
    client, rec, _ = make([httpx.Response(404, json={"detail": "Not found"})])
    with pytest.raises(NotFound):
        await client.chat("../lines")
    assert rec.requests[0].url.raw_path == b"/v1/chats/..%2Flines"
    with pytest.raises(NotFound):
        await client.chat("")


async def test_a_page_cursor_reaches_the_server_as_it_came() -> None:
    cursors = ["msg_1", "a b&c=d/e?f+g#h%20", "é ☃"]
    client, rec, _ = make([httpx.Response(200, json={"data": [], "has_more": False}) for _ in cursors])
    for cursor in cursors:
        await client.messages("cht_1", limit=7, starting_after=cursor)
    assert [dict(r.url.params) for r in rec.requests] == [{"limit": "7", "starting_after": c} for c in cursors]
    assert all(r.url.path == "/v1/chats/cht_1/messages" for r in rec.requests)


async def test_history_pages_until_uid() -> None:
    pages = [
        httpx.Response(200, json={"data": [{"uid": "m5"}, {"uid": "m4"}], "has_more": True}),
        httpx.Response(200, json={"data": [{"uid": "m3"}, {"uid": "m2"}], "has_more": True}),
        httpx.Response(200, json={"data": [{"uid": "m1"}], "has_more": False}),
    ]
    client, rec, _ = make(pages)
    uids = [m.uid async for m in client.history("cht_1", until_uid="m2", page_size=2)]
    assert uids == ["m5", "m4", "m3"]
    assert rec.requests[1].url.params["starting_after"] == "m4"
    client, rec, _ = make(pages)
    assert [m.uid async for m in client.history("cht_1", page_size=2)] == ["m5", "m4", "m3", "m2", "m1"]


async def test_odd_payloads_are_tolerated() -> None:
    client, _, _ = make([httpx.Response(200, json=[{"uid": "cht_1", "participants": None}, "junk"])])
    chats = await client.chats()
    assert [c.uid for c in chats] == ["cht_1"]
    client, _, _ = make([httpx.Response(200, content=b"not json")])
    with pytest.raises(ServerUnavailable):
        await client.chats()


async def test_ticket_and_ws_url() -> None:
    client, rec, _ = make([httpx.Response(200, json={"object": "ws_ticket", "ticket": "tkt_1/2"})])
    ticket = await client.ws_ticket(None)
    assert json.loads(rec.requests[0].content) == {}
    assert client.ws_url(ticket) == "ws://plow.test/v1/ws?ticket=tkt_1%2F2"
    https = PlowClient("https://api.example/")
    assert https.ws_url("t").startswith("wss://api.example/v1/ws?")
    await https.aclose()


@pytest.mark.parametrize("uid", ["\ud800", "m" * 100_000])
async def test_a_history_cursor_that_cannot_go_in_a_url_ends_the_walk(uid: str) -> None:
    # A lone surrogate (JSON can carry one) or a huge id: sending it back would crash httpx.
    page = {"object": "list", "data": [{"uid": uid, "body": "hi"}], "has_more": True}
    client, rec, _ = make([httpx.Response(200, content=json.dumps(page).encode())])
    async with client:
        got = [m async for m in client.history("cht_1")]
    assert [m.body for m in got] == ["hi"] and len(rec.requests) == 1


class PagedHistory:
    """A chat of 100 messages (m100 newest … m1), paged 20 at a time; notes how many the caller had when each page was asked for."""

    def __init__(self) -> None:
        self.consumed = 0  # messages handed to the caller so far (the test counts them)
        self.asked_at: list[int] = []

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.asked_at.append(self.consumed)
        after = request.url.params.get("starting_after")
        first = 100 if after is None else int(after[1:]) - 1
        uids = [f"m{n}" for n in range(first, max(first - 20, 0), -1)]
        return httpx.Response(200, json={"data": [{"uid": u} for u in uids], "has_more": first > 20})


async def test_history_reads_the_next_page_while_the_caller_works_through_this_one() -> None:
    # A long catch-up is mostly waits for the server: from the second page on, the
    # next page's request goes out as soon as this one is read, before its messages
    # are built and handed out.
    chat = PagedHistory()
    async with PlowClient("http://plow.test", "tok-secret-1234", transport=httpx.MockTransport(chat.handler)) as client:
        uids = []
        async for message in client.history("cht_1", page_size=20):
            uids.append(message.uid)
            chat.consumed += 1
    asked_at = chat.asked_at
    assert uids == [f"m{n}" for n in range(100, 0, -1)]  # every message once, in order
    assert asked_at[:2] == [0, 20]  # the first page is not read ahead
    # Each later page was asked for before any message of the page before it was handed out.
    assert asked_at[2:] == [(page - 2) * 20 for page in range(3, 3 + len(asked_at[2:]))], asked_at

    # A caller that stops early leaves no page read ahead behind.
    chat = PagedHistory()
    async with PlowClient("http://plow.test", "tok-secret-1234", transport=httpx.MockTransport(chat.handler)) as client:
        walk = client.history("cht_1", page_size=20)
        async for message in walk:
            chat.consumed += 1
            if message.uid == "m70":
                break
        await walk.aclose()
        assert [task for task in asyncio.all_tasks() if "messages" in repr(task.get_coro())] == []


async def test_a_walk_to_an_anchor_reads_its_second_page_ahead_too() -> None:
    # A catch-up (until_uid) ends at its anchor, never at a count: the second page's
    # request goes out before any message of the first is handed out. A walk without
    # one (the newest N messages) still asks for nothing beyond the first page first.
    chat = PagedHistory()
    async with PlowClient("http://plow.test", "tok-secret-1234", transport=httpx.MockTransport(chat.handler)) as client:
        uids = []
        async for message in client.history("cht_1", page_size=20, until_uid="m30"):
            uids.append(message.uid)
            chat.consumed += 1
    assert uids == [f"m{n}" for n in range(100, 30, -1)]
    assert chat.asked_at == [0, 0, 20, 40]  # four pages, each asked for before the one above it was handed out
