"""Absurdly nested JSON from an Airy server is a bad answer or a skipped push, never a crash.

`json.loads` raises `RecursionError`, not `ValueError`, past a few thousand
levels; a hostile or broken server must not stop the stream or escape as an
unexpected exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import pytest

from plow_tui.client.airy import stomp
from plow_tui.client.airy.conversation import AiryConversation
from plow_tui.client.airy.errors import AiryChannelNotFound, AiryProtocolError
from plow_tui.client.airy.events import AiryMessagesArrived
from plow_tui.client.airy.http import AiryClient
from plow_tui.client.airy.models import AiryMessage, render_content
from plow_tui.client.airy.stream import AiryStream

from .fake_instance import fake_airy_instance

CHANNEL = "5f1e7c2a-8b4d-4e6f-9a1c-3d2b0e4f6a70"
DEEP = "[" * 100_000 + "]" * 100_000


def _deep_object(depth: int = 50_000) -> object:
    value: object = []
    for _ in range(depth):
        value = [value]
    return value


async def test_a_deeply_nested_http_answer_is_a_protocol_error() -> None:
    def http(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=DEEP.encode(), headers={"content-type": "application/json"})

    async with AiryClient("http://airy.test", transport=httpx.MockTransport(http)) as client:
        with pytest.raises(AiryProtocolError, match="not JSON"):
            await client.authenticate(channel_id=CHANNEL)


async def test_a_deeply_nested_error_body_still_gives_the_status_error() -> None:
    def http(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, content=DEEP.encode(), headers={"content-type": "application/json"})

    async with AiryClient("http://airy.test", transport=httpx.MockTransport(http)) as client:
        with pytest.raises(AiryChannelNotFound):
            await client.authenticate(channel_id=CHANNEL)


def test_deeply_nested_content_is_kept_as_text_or_a_placeholder() -> None:
    as_string = AiryMessage.from_json({"id": "m1", "content": "{" + '"a":' * 100_000 + "1" + "}" * 100_000})
    assert isinstance(as_string.content, str)  # not decodable: shown as the server sent it
    assert render_content({"card": _deep_object()}) == "[content nested too deeply to show]"
    assert AiryMessage.from_json({"id": "m2", "content": _deep_object()}).text == "[content nested too deeply to show]"


async def test_a_deeply_nested_push_is_skipped_and_the_stream_goes_on() -> None:
    # A fake instance whose socket pushes a MESSAGE with an absurd body, then a good one.
    good = {"conversation_id": "c1", "message": {"id": "m-good", "content": {"text": "still here"}, "from_contact": False}}

    async def handler(ws) -> None:
        await ws.recv()  # CONNECT
        await ws.send(stomp.encode_text(stomp.Frame.build("CONNECTED", {"version": "1.2", "heart-beat": "0,0"})))
        subscribe = stomp.FrameParser().feed(await ws.recv())[0]
        await ws.send(stomp.encode_text(stomp.Frame.build("RECEIPT", {"receipt-id": subscribe.header("receipt") or ""})))
        headers = {"destination": "/user/queue/message", "subscription": "sub-0"}
        await ws.send(stomp.encode_text(stomp.Frame.build("MESSAGE", {**headers, "message-id": "1"}, DEEP)))
        await ws.send(stomp.encode_text(stomp.Frame.build("MESSAGE", {**headers, "message-id": "2"}, json.dumps(good))))
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    async with fake_airy_instance(handler) as client:
        stream = AiryStream(AiryConversation(client, CHANNEL), heartbeat_ms=(0, 0), reconnect_delays=(0.05,))
        arrived: list[str] = []
        async with asyncio.timeout(5):
            async for event in stream.events():
                if isinstance(event, AiryMessagesArrived):
                    arrived.extend(m.id for m in event.messages)
                if arrived:
                    break
        assert arrived == ["m-good"]
        assert stream.connections == 1  # the bad push did not cost the connection
