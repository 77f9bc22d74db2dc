"""The sandbox's Airy API: answers as the real server does, 4xx (never 5xx) on bad input."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from plow_tui.client.airy import stomp

if TYPE_CHECKING:
    from tests.airy.conftest import AiryServer

UNKNOWN_CHANNEL = "00000000-0000-4000-8000-000000000000"


def _auth(server: AiryServer) -> str:
    response = server.post("/chatplugin.authenticate", {"channel_id": server.channel_id})
    assert response.status_code == 200
    return response.json()["token"]


def test_conversation_round_trip(airy_server: AiryServer) -> None:
    first = airy_server.post("/chatplugin.authenticate", {"channel_id": airy_server.channel_id}).json()
    assert first["messages"] == [] and first["token"]
    auth = {"Authorization": f"Bearer {first['token']}"}
    sent = httpx.post(airy_server.base_url + "/chatplugin.send", json={"message": {"text": "hi"}}, headers=auth).json()
    assert sent["content"] == {"text": "hi"} and sent["from_contact"] is True
    assert sent["delivery_state"] == "delivered" and sent["sent_at"].endswith("Z")
    # The token is accepted without "Bearer " too.
    resume = httpx.post(
        airy_server.base_url + "/chatplugin.resumeToken", headers={"Authorization": first["token"]}
    ).json()["resume_token"]
    agent = airy_server.agent_says(airy_server.only_conversation(), "Hello from the agent")
    assert agent["from_contact"] is False
    again = airy_server.post("/chatplugin.authenticate", {"resume_token": resume}).json()
    assert [m["id"] for m in again["messages"]] == [sent["id"], agent["id"]]
    # The two kinds of tokens are not interchangeable.
    assert airy_server.post("/chatplugin.authenticate", {"resume_token": first["token"]}).status_code == 401
    assert (
        httpx.post(
            airy_server.base_url + "/chatplugin.send",
            json={"message": {"text": "x"}},
            headers={"Authorization": f"Bearer {resume}"},
        ).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/chatplugin.authenticate", {}, 400),
        ("/chatplugin.authenticate", {"channel_id": "not-a-uuid"}, 400),
        ("/chatplugin.authenticate", {"channel_id": 12}, 400),
        ("/chatplugin.authenticate", {"resume_token": ["x"]}, 400),
        ("/chatplugin.authenticate", {"channel_id": UNKNOWN_CHANNEL}, 404),
        ("/chatplugin.authenticate", {"resume_token": "forged"}, 401),
        ("/chatplugin.authenticate", "[1, 2]", 400),
        ("/chatplugin.authenticate", b"{not json", 400),
        ("/chatplugin.authenticate", b"\xff\xfe", 400),
        ("/chatplugin.resumeToken", {}, 401),
        ("/chatplugin.send", {"message": {"text": "x"}}, 401),
        ("/sandbox/airy/faults", {}, 400),
        ("/sandbox/airy/faults", {"melt": True}, 400),
        ("/sandbox/airy/faults", {"disconnect_channel": 5}, 400),
        (f"/sandbox/airy/conversations/{UNKNOWN_CHANNEL}/messages", {"text": "x"}, 404),
        ("/sandbox/airy/conversations/%2E%2E/messages", {"text": "x"}, 404),
    ],
)
def test_bad_input_is_a_4xx(airy_server: AiryServer, path: str, body, status: int) -> None:
    content = body if isinstance(body, bytes) else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
    response = httpx.post(airy_server.base_url + path, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert not response.content or isinstance(response.json().get("message"), str)


@pytest.mark.parametrize(
    "message",
    [
        None,
        "hi",
        {},
        {"text": ""},
        {"text": 5},
        {"text": "x" * 10_001},
        {"text": "Yes", "postbackData": 3},
        {"attachment": {"type": "hologram", "payload": {"url": "https://x"}}},
        {"attachment": {"type": "image", "payload": {}}},
        {"attachment": "image"},
    ],
)
def test_bad_message_content_is_400(airy_server: AiryServer, message) -> None:
    token = _auth(airy_server)
    response = httpx.post(
        airy_server.base_url + "/chatplugin.send",
        json={"message": message},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400


def test_agent_message_needs_text(airy_server: AiryServer) -> None:
    _auth(airy_server)
    conversation = airy_server.only_conversation()
    response = airy_server.post(f"/sandbox/airy/conversations/{conversation}/messages", {"text": ["x"]})
    assert response.status_code == 400


def test_quick_reply_and_attachment_are_stored_as_sent(airy_server: AiryServer) -> None:
    token = _auth(airy_server)
    for content in ({"text": "Yes", "postbackData": "yes"}, {"attachment": {"type": "image", "payload": {"url": "https://x/c.png"}}}):
        response = httpx.post(
            airy_server.base_url + "/chatplugin.send", json={"message": content}, headers={"Authorization": token}
        )
        assert response.status_code == 200 and response.json()["content"] == content


def test_faults_expire_tokens_and_disconnect_channel(airy_server: AiryServer) -> None:
    token = _auth(airy_server)
    airy_server.fault(expire_tokens=True)
    response = httpx.post(airy_server.base_url + "/chatplugin.resumeToken", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    airy_server.fault(disconnect_channel=airy_server.channel_id)
    assert airy_server.post("/chatplugin.authenticate", {"channel_id": airy_server.channel_id}).status_code == 404


def test_tokens_expire_after_their_lifetime(airy_server_factory) -> None:
    server = airy_server_factory(auth_token_ttl=60)
    token = _auth(server)
    server.advance(61)
    response = httpx.post(server.base_url + "/chatplugin.resumeToken", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


# -- STOMP, spoken by hand ---------------------------------------------------------


async def _frames(ws, parser: stomp.FrameParser, count: int, timeout: float = 3.0) -> list[stomp.Frame]:
    frames: list[stomp.Frame] = []
    async with asyncio.timeout(timeout):
        while len(frames) < count:
            frames.extend(parser.feed(await ws.recv()))
    return frames


def _connect_frame(token: str, heartbeat: str = "0,0") -> str:
    return stomp.encode_text(
        stomp.Frame.build("CONNECT", {"accept-version": "1.2", "heart-beat": heartbeat, "Authorization": f"Bearer {token}"})
    )


def _ws_url(server: AiryServer) -> str:
    return server.base_url.replace("http://", "ws://") + "/ws.chatplugin"


async def test_stomp_connect_subscribe_receipt_and_push(airy_server: AiryServer) -> None:
    token = await asyncio.to_thread(_auth, airy_server)
    async with connect(_ws_url(airy_server), subprotocols=["v12.stomp"]) as ws:
        assert ws.subprotocol == "v12.stomp"
        parser = stomp.FrameParser()
        subscribe = stomp.Frame.build(
            "SUBSCRIBE", {"id": "sub-0", "destination": "/user/queue/message", "receipt": "r:1\n"}
        )
        # Both frames and a heart-beat in one WebSocket message.
        await ws.send(_connect_frame(token) + "\n" + stomp.encode_text(subscribe))
        connected, receipt = await _frames(ws, parser, 2)
        assert connected.command == "CONNECTED" and connected.header("version") == "1.2"
        assert receipt.command == "RECEIPT" and receipt.header("receipt-id") == "r:1\n"
        conversation = await asyncio.to_thread(airy_server.only_conversation)
        agent = await asyncio.to_thread(airy_server.agent_says, conversation, "héllo 🦜")
        (message,) = await _frames(ws, parser, 1)
        assert message.command == "MESSAGE" and message.header("subscription") == "sub-0"
        body = json.loads(message.body)
        assert body["conversation_id"] == conversation
        assert body["message"]["id"] == agent["id"] and body["message"]["content"]["text"] == "héllo 🦜"


async def test_stomp_refuses_a_bad_token_with_401(airy_server: AiryServer) -> None:
    async with connect(_ws_url(airy_server), subprotocols=["v12.stomp"]) as ws:
        await ws.send(_connect_frame("forged"))
        (error,) = await _frames(ws, stomp.FrameParser(), 1)
        assert error.command == "ERROR" and "401" in (error.header("message") or "")
        await asyncio.wait_for(ws.wait_closed(), 3)


@pytest.mark.parametrize(
    "wire",
    ["SUBSCRIBE\nid:1\ndestination:/x\n\n\0", "CONNECT\naccept-version:1.0\n\n\0", "\x01BAD\n\n\0", "FLY\n\n\0"],
)
async def test_stomp_protocol_errors_answer_error_and_close(airy_server: AiryServer, wire: str) -> None:
    async with connect(_ws_url(airy_server), subprotocols=["v12.stomp"]) as ws:
        await ws.send(wire)
        (error,) = await _frames(ws, stomp.FrameParser(), 1)
        assert error.command == "ERROR"
        await asyncio.wait_for(ws.wait_closed(), 3)


async def test_stomp_heartbeats_and_idle_timeout(airy_server_factory) -> None:
    server = airy_server_factory(heartbeat_ms=100, idle_timeout=0.6)
    token = await asyncio.to_thread(_auth, server)
    async with connect(_ws_url(server), subprotocols=["v12.stomp"]) as ws:
        parser = stomp.FrameParser()
        await ws.send(_connect_frame(token, "0,100"))
        (connected,) = await _frames(ws, parser, 1)
        assert connected.header("heart-beat") == "100,100"
        while parser.heartbeats == 0:
            parser.feed(await asyncio.wait_for(ws.recv(), 1))
        # We send nothing at all: the server gives up on us.
        started = time.monotonic()
        with pytest.raises(Exception):
            while True:
                parser.feed(await asyncio.wait_for(ws.recv(), 3))
        assert time.monotonic() - started < 2.5


async def test_drop_sockets_closes_every_socket(airy_server: AiryServer) -> None:
    token = await asyncio.to_thread(_auth, airy_server)
    async with connect(_ws_url(airy_server), subprotocols=["v12.stomp"]) as ws:
        await ws.send(_connect_frame(token))
        await _frames(ws, stomp.FrameParser(), 1)
        await asyncio.to_thread(airy_server.fault, drop_sockets=True)
        await asyncio.wait_for(ws.wait_closed(), 3)


async def test_disconnect_with_receipt(airy_server: AiryServer) -> None:
    token = await asyncio.to_thread(_auth, airy_server)
    async with connect(_ws_url(airy_server), subprotocols=["v12.stomp"]) as ws:
        parser = stomp.FrameParser()
        await ws.send(_connect_frame(token))
        await _frames(ws, parser, 1)
        await ws.send(stomp.encode_text(stomp.Frame.build("DISCONNECT", {"receipt": "bye"})))
        (receipt,) = await _frames(ws, parser, 1)
        assert receipt.header("receipt-id") == "bye"
        await asyncio.wait_for(ws.wait_closed(), 3)


def test_resume_token_on_behalf_of_the_user_with_the_system_token(airy_server_factory) -> None:
    server = airy_server_factory(system_token="system-token-for-tests")
    _auth(server)
    conversation = server.only_conversation()
    system = {"Authorization": "Bearer system-token-for-tests"}
    url = server.base_url + "/chatplugin.resumeToken"
    good = httpx.post(url, json={"channel_id": server.channel_id, "conversation_id": conversation}, headers=system)
    assert good.status_code == 200
    resumed = server.post("/chatplugin.authenticate", {"resume_token": good.json()["resume_token"]})
    assert resumed.status_code == 200
    for body in ({}, {"channel_id": server.channel_id, "conversation_id": ["x"]}, {"channel_id": "other", "conversation_id": conversation}):
        assert httpx.post(url, json=body, headers=system).status_code == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
keys = st.sampled_from(["channel_id", "resume_token", "message", "text", "drop_sockets", "expire_tokens", "x"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(
        ["/chatplugin.authenticate", "/chatplugin.resumeToken", "/chatplugin.send", "/sandbox/airy/conversations/x/messages"]
    ),
    body=st.one_of(json_values, st.dictionaries(keys, json_values, max_size=3)),
    authorization=st.one_of(st.none(), st.from_regex(r"\A(Bearer )?[a-z]{1,8}\Z")),
)
def test_any_json_gets_an_answer_below_500(airy_server: AiryServer, path: str, body, authorization) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = httpx.post(airy_server.base_url + path, json=body, headers=headers)
    assert response.status_code < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=st.one_of(json_values, st.dictionaries(st.sampled_from(["text", "postbackData", "attachment"]), json_values)))
def test_any_message_content_is_stored_or_refused_with_400(airy_server: AiryServer, message) -> None:
    token = _auth(airy_server)
    response = httpx.post(
        airy_server.base_url + "/chatplugin.send", json={"message": message}, headers={"Authorization": token}
    )
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["content"] == message
