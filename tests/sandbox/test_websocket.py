"""WebSocket (PROTOCOL.md §6 and §7): tickets, both frame forms, refusals, faults, phones."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from sandbox_helpers import ADA, BOB, Api
from support.waits import eventually
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus


async def recv(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def assert_quiet(ws: ClientConnection, seconds: float = 0.25) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), seconds)


async def closed_with(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed) as info:
        await asyncio.wait_for(ws.recv(), 2)
    return info.value.rcvd.code if info.value.rcvd else None


async def refused(api: Api, ticket: str) -> int:
    with pytest.raises(InvalidStatus) as info:
        async with connect(api.ws_url(ticket)):
            pass
    return info.value.response.status_code


async def test_per_chat_socket_hears_echo_delivery_and_inbound(api: Api) -> None:
    ada = api.sign_in()
    async with connect(api.ws_url(api.ticket(ada, ada.chat_uid))) as ws:
        assert await recv(ws) == {"type": "connected"}
        sent = api.send(ada, ada.chat_uid, "hello").json()
        echo = await recv(ws)
        assert echo["type"] == "message_received"
        assert echo["message"] == sent
        update = await recv(ws)
        assert update["type"] == "message_status_updated"
        assert update["message"]["uid"] == sent["uid"] and update["message"]["status"] == "delivered"
        api.sms(ADA, ada.line_number, "hi back")
        inbound = await recv(ws)
        assert inbound["type"] == "message_received"
        assert inbound["message"]["direction"] == "inbound" and inbound["message"]["body"] == "hi back"
        await asyncio.wait_for(ws.ping(), 2)  # pings are answered
    # The stored status follows the update.
    page = api.http.get(f"/v1/chats/{ada.chat_uid}/messages", headers=ada.headers).json()
    assert page["data"][1]["status"] == "delivered"


async def test_per_chat_socket_hears_only_its_chat(api: Api) -> None:
    ada = api.sign_in()
    other = api.create_chat(ada, api.lines(ada)[3]["uid"], "Bob").json()
    async with connect(api.ws_url(api.ticket(ada, other["uid"]))) as ws:
        assert await recv(ws) == {"type": "connected"}
        api.send(ada, ada.chat_uid, "not for you")
        await assert_quiet(ws)


async def test_verification_frames_then_chat_active(api: Api) -> None:
    ada = api.sign_in()
    line = api.lines(ada)[3]
    chat = api.create_chat(ada, line["uid"], "Bob").json()
    async with connect(api.ws_url(api.ticket(ada, chat["uid"]))) as ws:
        assert await recv(ws) == {"type": "connected"}
        api.sms(BOB, line["provider_key"], chat["participants"][0]["verification_code"])
        verified = await recv(ws)
        assert verified["type"] == "participant_verified"
        assert verified["participant"]["uid"] == chat["participants"][0]["uid"]
        assert verified["participant"]["status"] == "active" and verified["participant"]["provider_key"] == BOB
        active = await recv(ws)
        assert active["type"] == "chat_active"
        assert active["chat"]["uid"] == chat["uid"] and active["chat"]["status"] == "active"


async def test_chat_activation_failed_frame(api: Api) -> None:
    ada = api.sign_in()
    chat = api.create_chat(ada, api.lines(ada)[3]["uid"], "Bob").json()
    async with connect(api.ws_url(api.ticket(ada, chat["uid"]))) as ws:
        await recv(ws)
        api.http.post(f"/sandbox/chats/{chat['uid']}/fail", json={"reason": "number_blocked"})
        frame = await recv(ws)
        assert frame["type"] == "chat_activation_failed"
        assert frame["reason"] == "number_blocked" and frame["message"]
    assert api.http.post("/sandbox/chats/cht_nope/fail", json={}).status_code == 404


async def test_all_chats_ticket_sends_envelopes_for_every_chat_of_the_account(api: Api) -> None:
    ada = api.sign_in(ADA)
    bob = api.sign_in(BOB, "Bob")
    second = api.create_chat(ada, api.lines(ada)[4]["uid"], "Carol").json()
    async with connect(api.ws_url(api.ticket(ada, None))) as ws:
        assert await recv(ws) == {"type": "connected"}
        api.send(bob, bob.chat_uid, "bob's business")
        first_msg = api.send(ada, ada.chat_uid, "one").json()
        api.http.post(f"/sandbox/chats/{second['uid']}/fail", json={"reason": "nope"})
        frames = [await recv(ws) for _ in range(3)]
        by_type = {f["event_type"]: f for f in frames}
        assert set(by_type) == {"message_received", "message_status_updated", "chat_activation_failed"}
        for frame in frames:
            assert frame["event_id"].startswith("evt_") and frame["created_at"].endswith("Z")
            assert frame["data"]["type"] == frame["event_type"]
        assert len({f["event_id"] for f in frames}) == 3
        assert by_type["message_received"]["chat_id"] == ada.chat_uid
        assert by_type["message_received"]["data"]["message"] == first_msg
        assert by_type["chat_activation_failed"]["chat_id"] == second["uid"]
        await assert_quiet(ws)  # nothing of Bob's


async def test_a_new_provisioned_chat_is_announced_on_the_all_chats_socket(make_api) -> None:  # noqa: ANN001
    api: Api = make_api(lines=2)
    ada = api.sign_in(ADA)
    # Signing in again keeps a living chat with yourself; once it is deleted, the next sign-in provisions one.
    assert api.http.delete(f"/v1/chats/{ada.chat_uid}", headers=ada.headers).status_code == 200
    async with connect(api.ws_url(api.ticket(ada, None))) as ws:
        await recv(ws)
        again = api.sign_in(ADA)
        assert again.chat_uid != ada.chat_uid
        frame = await recv(ws)
        assert frame["event_type"] == "chat_active" and frame["chat_id"] == again.chat_uid


async def test_tickets_are_single_use_and_bad_ones_are_refused_with_403(api: Api) -> None:
    ada = api.sign_in()
    ticket = api.ticket(ada, ada.chat_uid)
    async with connect(api.ws_url(ticket)) as ws:
        assert await recv(ws) == {"type": "connected"}
    assert await refused(api, ticket) == 403
    assert await refused(api, "wst_made_up") == 403
    assert await refused(api, "") == 403


async def test_expired_tickets_are_refused(make_api) -> None:  # noqa: ANN001
    api: Api = make_api(ticket_ttl=60)
    ada = api.sign_in()
    ticket = api.ticket(ada, ada.chat_uid)
    api.advance(61)
    assert await refused(api, ticket) == 403


async def test_ticket_requests_are_validated(api: Api) -> None:
    ada = api.sign_in()
    answer = api.http.post("/v1/ws/ticket", json={"chat_id": ada.chat_uid}, headers=ada.headers).json()
    assert answer["object"] == "ws_ticket" and answer["expires_at"].endswith("Z")
    assert api.http.post("/v1/ws/ticket", json={"chat_id": "cht_nope"}, headers=ada.headers).status_code == 404
    assert api.http.post("/v1/ws/ticket", json={"chat_id": 7}, headers=ada.headers).status_code == 422


async def test_revoking_a_token_closes_its_sockets_with_4401(api: Api) -> None:
    ada = api.sign_in(ADA)
    bob = api.sign_in(BOB, "Bob")
    late_ticket = api.ticket(ada, None)
    async with (
        connect(api.ws_url(api.ticket(ada, ada.chat_uid))) as ws,
        connect(api.ws_url(api.ticket(bob, bob.chat_uid))) as bob_ws,
    ):
        await recv(ws)
        await recv(bob_ws)
        answer = api.faults(revoke_token=ada.token)
        assert answer.status_code == 200 and answer.json()["closed_sockets"] == 1
        assert await closed_with(ws) == 4401
        api.send(bob, bob.chat_uid, "still here")
        assert (await recv(bob_ws))["type"] == "message_received"
    # A ticket minted before the revocation: accepted, then closed with 4401.
    async with connect(api.ws_url(late_ticket)) as ws:
        assert await closed_with(ws) == 4401
    assert api.faults(revoke_token="plw_never_minted").status_code == 404


async def test_drop_sockets_closes_v1_sockets_with_1011_but_not_phones(api: Api) -> None:
    ada = api.sign_in()
    phone_url = api.base_url.replace("http://", "ws://") + f"/sandbox/phones/{ADA}"
    async with connect(api.ws_url(api.ticket(ada, ada.chat_uid))) as ws, connect(phone_url) as phone:
        await recv(ws)
        assert api.state()["sockets"] == 1
        assert api.faults(drop_sockets=True).json()["dropped_sockets"] == 1
        assert await closed_with(ws) == 1011
        api.send(ada, ada.chat_uid, "after the drop")
        text = await recv(phone)
        assert (text["from"], text["to"], text["text"]) == (ada.line_number, ADA, "after the drop")
    await eventually(lambda: api.state()["sockets"] == 0, "the server to notice the close")


async def test_delivery_failed_sends_a_failed_update_and_the_phone_gets_nothing(api: Api) -> None:
    ada = api.sign_in()
    answer = api.faults(delivery="failed", delivery_delay_ms=10)
    assert answer.json()["delivery"] == "failed"
    async with connect(api.ws_url(api.ticket(ada, ada.chat_uid))) as ws:
        await recv(ws)
        api.send(ada, ada.chat_uid, "lost")
        assert (await recv(ws))["message"]["status"] == "sent"
        update = await recv(ws)
        assert update["type"] == "message_status_updated" and update["message"]["status"] == "failed"
    assert api.texts(ADA) == []


async def test_a_failed_delivery_carries_the_fault_s_reason_on_the_socket_and_over_rest(api: Api) -> None:
    ada = api.sign_in()
    assert api.faults(delivery="failed", delivery_delay_ms=10, failure_reason="carrier refused").status_code == 200
    async with connect(api.ws_url(api.ticket(ada, ada.chat_uid))) as ws:
        await recv(ws)
        uid = api.send(ada, ada.chat_uid, "lost").json()["uid"]
        assert "failure_reason" not in (await recv(ws))["message"]  # sent: nothing failed yet
        assert (await recv(ws))["message"]["failure_reason"] == "carrier refused"
    page = api.http.get(f"/v1/chats/{ada.chat_uid}/messages", headers=ada.headers).json()["data"]
    assert [(m["uid"], m["status"], m["failure_reason"]) for m in page] == [(uid, "failed", "carrier refused")]
    assert api.faults(failure_reason="").json()["failure_reason"] is None


async def test_delivery_none_sends_no_update_and_keeps_sent(api: Api) -> None:
    ada = api.sign_in()
    api.faults(delivery="none", delivery_delay_ms=0)
    async with connect(api.ws_url(api.ticket(ada, ada.chat_uid))) as ws:
        await recv(ws)
        api.send(ada, ada.chat_uid, "limbo")
        assert (await recv(ws))["type"] == "message_received"
        await assert_quiet(ws)
    page = api.http.get(f"/v1/chats/{ada.chat_uid}/messages", headers=ada.headers).json()
    assert page["data"][0]["status"] == "sent"
    assert [t["text"] for t in api.texts(ADA)] == ["limbo"]


async def test_the_delivery_delay_is_honoured(api: Api) -> None:
    ada = api.sign_in()
    api.faults(delivery="delivered", delivery_delay_ms=400)
    async with connect(api.ws_url(api.ticket(ada, ada.chat_uid))) as ws:
        await recv(ws)
        api.send(ada, ada.chat_uid, "slow")
        await recv(ws)
        started = time.monotonic()
        await assert_quiet(ws, 0.2)
        assert (await recv(ws))["message"]["status"] == "delivered"
        assert time.monotonic() - started >= 0.35


async def test_phone_socket_gets_texts_live_and_bad_numbers_are_refused(api: Api) -> None:
    ada = api.sign_in()
    base = api.base_url.replace("http://", "ws://")
    async with connect(f"{base}/sandbox/phones/{ADA}") as phone:
        api.send(ada, ada.chat_uid, "one")
        api.send(ada, ada.chat_uid, "two")
        assert [(await recv(phone))["text"] for _ in range(2)] == ["one", "two"]
    with pytest.raises(InvalidStatus) as info:
        async with connect(f"{base}/sandbox/phones/12345"):
            pass
    assert info.value.response.status_code == 403


async def test_stopping_the_server_closes_open_sockets_promptly(make_sandbox) -> None:  # noqa: ANN001
    server = make_sandbox()
    api = Api(server.base_url)
    ada = api.sign_in()
    async with connect(api.ws_url(api.ticket(ada, None))) as ws:
        await recv(ws)
        started = time.monotonic()
        await asyncio.to_thread(server.stop)
        assert time.monotonic() - started < 2
        assert await closed_with(ws) == 1012  # "service restart"
    api.http.close()
