"""Malformed input from the server: frames and REST bodies the client must survive.

Hypothesis feeds arbitrary and near-valid frames (wrong types, missing keys,
huge strings, control characters, invalid UTF-8, deeply nested JSON, unknown
types, both frame forms mixed) to the stream's frame parser, and arbitrary
bodies with any status to every `PlowClient` call. The client may refuse them
only with a `PlowError`; the stream skips them and keeps going; what it logs
never carries a secret.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from contextlib import aclosing
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plow_tui.client.errors import PlowError
from plow_tui.client.events import (
    ChatActivated,
    ChatFailed,
    ConnectionChanged,
    MessagesArrived,
    MessageStatusChanged,
    ParticipantVerified,
)
from plow_tui.client.http import PlowClient
from plow_tui.client.answers import Page, Redeem
from plow_tui.client.models import Chat, Line, Member, ChatMessage
from plow_tui.client.stream import ChatStream
from plow_tui.logs import configure_logging

CHAT = "cht_fuzz"
TOKEN = "tok_FUZZCANARY_0123456789abcdef"
TICKET = "wst_FUZZTICKET_0123456789abcdef"

hostile_text = st.sampled_from(
    [
        "",
        "[bold]x[/bold]",
        "[@click=app.quit]q[/]",
        "\x1b[2J\x1b]0;pwned\x07",
        "\x00\x7f\x9b",
        "\ud800",  # a lone surrogate: not encodable as UTF-8
        "x" * 200_000,
        TOKEN,
    ]
) | st.text(max_size=40)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | hostile_text
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12
)
TYPES = [
    "connected", "message_received", "message_status_updated", "participant_verified",
    "chat_active", "chat_activation_failed", "weird_new_type", "",
]  # fmt: skip


def valid_message(uid: str = "msg_1", direction: str = "inbound") -> dict[str, Any]:
    return {
        "uid": uid, "object": "message", "chat_uid": CHAT, "direction": direction, "body": "hi",
        "status": "received", "sender": {"type": "member", "uid": "cp_1", "display_name": "Ada"},
        "created_at": "2026-09-14T12:00:00Z",
    }  # fmt: skip


def valid_frame(kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind}
    if kind.startswith("message"):
        body["message"] = valid_message()
    elif kind == "participant_verified":
        body["participant"] = {"uid": "cp_1", "status": "active", "display_name": "Ada"}
    elif kind == "chat_active":
        body["chat"] = {"uid": CHAT, "status": "active", "participants": []}
    elif kind == "chat_activation_failed":
        body.update(reason="r", message="m")
    return body


@st.composite
def near_valid_frames(draw: st.DrawFn) -> dict[str, Any]:
    """A valid frame of either form, then a few of its values replaced or removed."""
    frame = valid_frame(draw(st.sampled_from(TYPES)))
    for _ in range(draw(st.integers(0, 4))):
        target = frame
        inner = [v for v in target.values() if isinstance(v, dict)]
        if inner and draw(st.booleans()):
            target = draw(st.sampled_from(inner))
        if not target:
            break
        key = draw(st.sampled_from(sorted(target)))
        if draw(st.booleans()):
            del target[key]
        else:
            target[key] = draw(json_values)
    if draw(st.booleans()):  # the §6.2 envelope around it
        frame = {
            "event_id": draw(st.sampled_from(["evt_1", "evt_2", None, 7])),
            "event_type": frame.get("type"),
            "chat_id": draw(st.sampled_from([CHAT, "cht_other", None, ["x"]])),
            "data": frame if draw(st.booleans()) else draw(json_values),
        }
    return frame


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


raw_frames = (
    near_valid_frames().map(json.dumps)
    | json_values.map(json.dumps)
    | st.binary(max_size=60)
    | st.binary(max_size=40).map(lambda b: b"\xff\xfe" + b)
    | st.integers(100, 200_000).map(deep)
    | st.integers(100, 50_000).map(lambda n: '{"type":"message_received","message":' * n)
    | hostile_text
)


def check_events(events: list[Any]) -> None:
    for event in events:
        if isinstance(event, MessagesArrived):
            assert all(isinstance(m, ChatMessage) and isinstance(m.uid, str) and m.uid for m in event.messages)
            assert all(isinstance(m.body, str) for m in event.messages)
        elif isinstance(event, MessageStatusChanged):
            assert isinstance(event.message, ChatMessage) and event.message.uid
        elif isinstance(event, ParticipantVerified):
            assert isinstance(event.member, Member)
        elif isinstance(event, ChatActivated):
            assert isinstance(event.chat, Chat)
        else:
            assert isinstance(event, ChatFailed), event


def offline_client() -> PlowClient:
    return PlowClient("http://plow.test", TOKEN, transport=httpx.MockTransport(lambda r: httpx.Response(599)))


@settings(max_examples=400, deadline=None)
@given(frames=st.lists(raw_frames, min_size=1, max_size=6), one_chat=st.booleans())
def test_no_frame_crashes_the_parser(frames: list[Any], one_chat: bool) -> None:
    stream = ChatStream(offline_client(), CHAT if one_chat else None)
    for raw in frames:
        check_events(stream._handle_frame(raw))
    # Valid traffic after the garbage is still understood.
    after = stream._handle_frame(json.dumps(valid_frame("message_received") | {"message": valid_message("msg_zz")}))
    assert [m.uid for e in after for m in e.messages] == ["msg_zz"]


class ScriptedSocket:
    """One WebSocket connection that plays frames, then stays open until cancelled."""

    def __init__(self, frames: list[Any]) -> None:
        self.frames = [json.dumps({"type": "connected"}), *frames]
        self.close_code = None

    async def recv(self) -> Any:
        if self.frames:
            return self.frames.pop(0)
        await asyncio.Event().wait()

    def __aiter__(self) -> ScriptedSocket:
        return self

    async def __anext__(self) -> Any:
        return await self.recv()

    async def close(self) -> None:
        pass


def rest(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/v1/ws/ticket":
        return httpx.Response(200, json={"ticket": TICKET})
    return httpx.Response(200, json={"object": "list", "data": [], "has_more": False})


async def test_the_stream_keeps_going_and_logs_no_secret(tmp_path) -> None:
    """Garbage between good frames is skipped; every good message comes out once; logs stay clean."""
    rng = random.Random(5)
    garbage = [
        b"\xff\xfe\xfd", deep(100_000), '{"type":"message_received","message":' * 5000, "[]", "null",
        json.dumps({"type": "message_received", "message": {"uid": None, "body": {"x": [1]}}}),
        json.dumps({"type": "message_received", "message": "x" * 100_000}),
        json.dumps({"type": f"secret {TOKEN} \x1b[2J"}),
        json.dumps({"event_id": TOKEN, "data": [TICKET]}),
        json.dumps({"event_type": "participant_verified", "data": {"type": "participant_verified", "participant": 3}}),
        json.dumps({"type": "chat_active", "chat": [TOKEN]}),
    ]  # fmt: skip
    good = [json.dumps({"type": "message_received", "message": valid_message(f"msg_{i}")}) for i in range(20)]
    script: list[Any] = []
    for frame in good:
        script += rng.sample(garbage, 2) + [frame]
    log_file = configure_logging(tmp_path / "fuzz.log", level=logging.DEBUG)
    try:
        client = PlowClient("http://plow.test", TOKEN, transport=httpx.MockTransport(rest))
        socket = ScriptedSocket(script)

        async def connect(url: str, **options: Any) -> ScriptedSocket:
            return socket

        stream = ChatStream(client, CHAT, last_uid="", connect=connect)
        uids: list[str] = []
        async with aclosing(stream.events()) as events:
            async for event in events:
                assert not (isinstance(event, ConnectionChanged) and event.state != "live"
                            and event.state != "connecting"), event  # fmt: skip
                if isinstance(event, MessagesArrived):
                    uids += [m.uid for m in event.messages]
                    if len(uids) == len(good):
                        break
        await client.aclose()
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_plow_tui_handler", False):
                logging.getLogger().removeHandler(handler)
                handler.close()
    assert uids == [f"msg_{i}" for i in range(20)]
    written = log_file.read_text()
    assert "skipping a frame" in written  # the problems were logged...
    assert TOKEN not in written and TICKET not in written  # ...without the secrets
    assert "\x1b" not in written


CALLS = {
    "lines": lambda api: api.lines(),
    "chats": lambda api: api.chats(),
    "chat": lambda api: api.chat("cht_1"),
    "messages": lambda api: api.messages("cht_1", limit=5),
    "history": lambda api: _drain(api.history("cht_1")),
    "send": lambda api: api.send_message("cht_1", "hi"),
    "create": lambda api: api.create_chat("ln_1", ["Sarah"]),
    "delete": lambda api: api.delete_chat("cht_1"),
    "resend": lambda api: api.resend_invitation("cht_1", "cp_1"),
    "ticket": lambda api: api.ws_ticket("cht_1"),
    "activate": lambda api: api.activate("Ada"),
    "redeem": lambda api: api.redeem("act_FUZZSECRET_0123456789"),
    "openapi": lambda api: api.openapi(),
}
RESULT_TYPES = {
    "lines": list, "chats": list, "chat": Chat, "messages": Page, "history": list, "send": ChatMessage,
    "create": Chat, "delete": type(None), "resend": Member, "ticket": str, "redeem": Redeem, "openapi": dict,
}  # fmt: skip


async def _drain(iterator: Any) -> list[Any]:
    items = []
    async for item in iterator:
        items.append(item)
        if len(items) > 1000:  # a server that pages forever
            break
    return items


rest_bodies = (
    json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=80)
    | st.integers(100, 100_000).map(lambda n: deep(n).encode())
    | st.sampled_from([b"", b"\xff", b'{"data": [{"uid": 1e999}], "has_more": true}', b'{"detail": {"code": []}}'])
    | st.builds(
        lambda key, value: json.dumps({"object": "list", "data": [{key: value}], "has_more": True}).encode(),
        st.sampled_from(["uid", "body", "created_at", "participants", "sender", "status"]),
        json_values,
    )
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    call=st.sampled_from(sorted(CALLS)),
    status=st.sampled_from([200, 201, 204, 400, 401, 404, 409, 410, 422, 429, 500, 503, 302, 418]),
    body=rest_bodies,
    retry_after=st.sampled_from([None, "1", "-5", "soon", "1e999", "nan", "99999999999999999999"]),
)
def test_no_rest_body_crashes_the_client(call: str, status: int, body: bytes, retry_after: str | None) -> None:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    async def run() -> Any:
        async def no_sleep(_: float) -> None:
            pass

        async with PlowClient(
            "http://plow.test", TOKEN, transport=httpx.MockTransport(handler), max_retries=1, sleep=no_sleep
        ) as api:
            return await CALLS[call](api)

    try:
        result = asyncio.run(run())
    except PlowError as error:
        text = f"{error} {error!r}"
        assert TOKEN not in text and "act_FUZZSECRET" not in text
        return
    if call in RESULT_TYPES:
        assert isinstance(result, RESULT_TYPES[call]), (call, result)
    if call in ("lines", "chats", "history"):
        kinds = {"lines": Line, "chats": Chat, "history": ChatMessage}
        assert all(isinstance(item, kinds[call]) for item in result)
