"""Both live streams end the same way (ARCHITECTURE.md, "How a stream ends").

The same test runs on Plow's `ChatStream` and on Airy's `AiryStream`, each
against the sandbox over real HTTP and WebSocket: a failure that no retry can
mend is a last `ConnectionChanged("offline")` with no retry planned, then the
backend's error raised from the iterator. No event says "failed"; a consumer
catches one exception type per backend (and a command lets it reach the runner).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from support.waits import WAIT

from plow_tui.client.airy.conversation import AiryConversation
from plow_tui.client.airy.errors import AiryChannelNotFound, AiryError
from plow_tui.client.airy.http import AiryClient
from plow_tui.client.airy.stream import AiryStream
from plow_tui.client.errors import NotSignedIn, PlowError
from plow_tui.client.events import ConnectionChanged
from plow_tui.client.http import PlowClient
from plow_tui.client.stream import ChatStream
from plow_tui.sandbox.airy.world import DEFAULT_CHANNEL_ID
from sandbox_people import fault, sign_up


@dataclass
class Live:
    """A stream of one backend, and how to make the server end it for good."""

    stream: Any  # ChatStream or AiryStream: `events()` is the whole contract
    end_for_good: Callable[[], Awaitable[None]]
    error: type[Exception]  # what `events()` raises then
    family: type[Exception]  # the backend's error base, the one a consumer catches


@asynccontextmanager
async def _plow(base: str) -> AsyncIterator[Live]:
    account = await sign_up(base)
    async with PlowClient(base, account.token) as api:
        stream = ChatStream(api, account.chat.uid, backoff_initial=0.05, backoff_max=0.2)

        async def revoke() -> None:  # the token is revoked: the socket closes 4401
            await fault(base, revoke_token=account.token)

        yield Live(stream, revoke, NotSignedIn, PlowError)


@asynccontextmanager
async def _airy(base: str) -> AsyncIterator[Live]:
    async with AiryClient(base) as client, httpx.AsyncClient(base_url=base) as http:
        conversation = AiryConversation(client, DEFAULT_CHANNEL_ID)
        stream = AiryStream(conversation, reconnect_delays=(0.05, 0.1), receipt_wait=1.0)

        async def disconnect() -> None:  # the channel is disconnected: every token and socket goes
            channel = conversation.channel_id
            (await http.post("/sandbox/airy/faults", json={"disconnect_channel": channel, "drop_sockets": True})).raise_for_status()

        yield Live(stream, disconnect, AiryChannelNotFound, AiryError)


@pytest.fixture(params=["plow", "airy"])
async def live(request: pytest.FixtureRequest, sandbox: Any) -> AsyncIterator[Live]:
    """Each test once per backend, on one sandbox serving both."""
    opened = _plow if request.param == "plow" else _airy
    async with opened(sandbox.base_url) as backend:
        yield backend


async def test_a_failure_for_good_is_a_last_offline_then_the_backends_error(live: Live) -> None:
    seen: list[Any] = []

    async def read() -> None:
        ended = False
        async with aclosing(live.stream.events()) as stream:
            async for event in stream:
                seen.append(event)
                if not ended and isinstance(event, ConnectionChanged) and event.state == "live":
                    ended = True  # live: now the server ends it for good
                    await live.end_for_good()

    with pytest.raises(live.family) as raised:  # never a quiet end
        async with asyncio.timeout(WAIT):
            await read()
    assert isinstance(raised.value, live.error)
    last = seen[-1]
    assert isinstance(last, ConnectionChanged) and last.state == "offline" and last.retry_in is None, seen[-3:]
    assert last.reason  # a short phrase for the status bar
    # The error is the one signal: no event carries it.
    assert not [e for e in seen if isinstance(getattr(e, "error", None), Exception)]


async def _broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a bug inside the stream")


@pytest.mark.parametrize("backend", ["plow", "airy"])
async def test_a_bug_inside_a_stream_ends_it_the_same_way(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # No server needed: the first step of a connection breaks.
    async with AsyncExitStack() as stack:
        if backend == "plow":
            monkeypatch.setattr(ChatStream, "_open", _broken)
            api = await stack.enter_async_context(PlowClient("http://127.0.0.1:9", "token"))
            stream: Any = ChatStream(api, "cht_1")
            family: type[Exception] = PlowError
        else:
            monkeypatch.setattr(AiryStream, "_session", _broken)
            client = await stack.enter_async_context(AiryClient("http://127.0.0.1:9"))
            conversation = AiryConversation(client, DEFAULT_CHANNEL_ID)
            conversation.started = True  # as if authenticated: straight to the socket
            stream = AiryStream(conversation)
            family = AiryError
        seen = await _read_expecting(stream, family)
    last = seen[-1]
    assert isinstance(last, ConnectionChanged) and last.state == "offline" and last.retry_in is None


async def _read_expecting(stream: Any, family: type[Exception]) -> list[Any]:
    seen: list[Any] = []
    with pytest.raises(family, match="stopped: RuntimeError"):
        async with asyncio.timeout(WAIT), aclosing(stream.events()) as events:
            async for event in events:
                seen.append(event)
    return seen
