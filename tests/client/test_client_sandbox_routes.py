"""PlowClient against the real sandbox over loopback: every route and error mapping."""

from __future__ import annotations

import httpx
import pytest

from plow_tui.client.errors import (
    ActivationExpired,
    ChatNotReady,
    Conflict,
    DeliveryUnknown,
    NotFound,
    NotSignedIn,
    ServerUnavailable,
    ValidationFailed,
)
from plow_tui.client.http import PlowClient
from sandbox_people import fault, new_phone, sign_up, text

SEED_ENDPOINTS = {
    ("post", "/v1/auth/activate"),
    ("post", "/v1/auth/activate/redeem"),
    ("get", "/v1/lines"),
    ("get", "/v1/chats"),
    ("post", "/v1/chats"),
    ("get", "/v1/chats/{chat_uid}"),
    ("post", "/v1/chats/{chat_uid}/messages"),
    ("post", "/v1/ws/ticket"),
}


async def test_activation_and_reads(sandbox) -> None:
    account = await sign_up(sandbox.base_url)
    async with PlowClient(sandbox.base_url + "/v1/", account.token) as api:
        chats = await api.chats()
        assert [c.uid for c in chats] == [account.chat.uid]
        chat = await api.chat(account.chat.uid)
        assert chat.status == "active" and chat.number and chat.line_uid
        assert [m.display_name for m in chat.members] == ["Ada"]
        lines = await api.lines()
        assert chat.line_uid in {line.uid for line in lines}
        spec = await api.openapi()
        paths = {(m, p) for p, ops in spec["paths"].items() for m in ops}
        assert SEED_ENDPOINTS <= paths


async def test_later_redeem_has_no_token(sandbox) -> None:
    phone = new_phone()
    async with PlowClient(sandbox.base_url) as api:
        start = await api.activate(provision_chat=False)
        assert (await api.redeem(start.activation_secret)).status == "pending"
        await text(sandbox.base_url, phone, start.send_to, start.text)
        first = await api.redeem(start.activation_secret)
        assert first.token and first.chat is None
        again = await api.redeem(start.activation_secret)
        assert again.verified and again.token is None
        with pytest.raises(NotFound):
            await api.redeem("act_unknown_secret")


async def test_messages_send_and_history(sandbox) -> None:
    account = await sign_up(sandbox.base_url)
    uid = account.chat.uid
    async with PlowClient(sandbox.base_url, account.token) as api:
        sent = await api.send_message(uid, "hello from the terminal")
        assert sent.direction == "outbound" and sent.status == "sent" and sent.uid.startswith("msg_")
        for i in range(5):
            assert await text(sandbox.base_url, account.phone, account.chat.number, f"reply {i}") == "message"
        page = await api.messages(uid, limit=2)
        assert [m.body for m in page.data] == ["reply 4", "reply 3"] and page.has_more
        everything = [m.body async for m in api.history(uid, page_size=2)]
        assert everything == ["reply 4", "reply 3", "reply 2", "reply 1", "reply 0", "hello from the terminal"]
        newest_three = [m.body async for m in api.history(uid, until_uid=sent.uid, page_size=4)]
        assert newest_three == ["reply 4", "reply 3", "reply 2", "reply 1", "reply 0"]


async def test_create_chat_verify_resend_and_delete(sandbox) -> None:
    account = await sign_up(sandbox.base_url)
    async with PlowClient(sandbox.base_url, account.token) as api:
        line = (await api.lines())[0]
        chat = await api.create_chat(line.uid, ["Sarah"])
        assert chat.status == "pending"
        member = chat.members[0]
        assert member.verification_code and member.verification_code.startswith("VERIFY-")
        with pytest.raises(ChatNotReady):
            await api.send_message(chat.uid, "too early")
        fresh = await api.resend_invitation(chat.uid, member.uid)
        assert fresh.verification_code != member.verification_code
        sarah = new_phone()
        assert await text(sandbox.base_url, sarah, line.provider_key, member.verification_code) == "ignored"
        assert await text(sandbox.base_url, sarah, line.provider_key, fresh.verification_code) == "member_verified"
        assert (await api.chat(chat.uid)).status == "active"
        with pytest.raises(Conflict):
            await api.resend_invitation(chat.uid, member.uid)
        with pytest.raises(ValidationFailed):
            await api.create_chat(line.uid, [])
        await api.delete_chat(chat.uid)
        with pytest.raises(NotFound):
            await api.chat(chat.uid)
        with pytest.raises(NotFound):
            await api.send_message(chat.uid, "gone")


async def test_auth_errors_and_faults(sandbox) -> None:
    account = await sign_up(sandbox.base_url)
    async with PlowClient(sandbox.base_url, "not-a-real-token-123", max_retries=0) as api:
        with pytest.raises(NotSignedIn):
            await api.chats()
    async with PlowClient(sandbox.base_url, account.token, max_retries=2) as api:
        with pytest.raises(NotFound):
            await api.chat("cht_does_not_exist")
        await fault(sandbox.base_url, fail_next={"status": 503, "count": 2})
        assert len(await api.chats()) == 1  # two 503s retried away
        await fault(sandbox.base_url, fail_next={"status": 500, "count": 1})
        with pytest.raises(DeliveryUnknown):
            await api.send_message(account.chat.uid, "maybe")
        await fault(sandbox.base_url, fail_next={"status": 503, "count": 1})
        with pytest.raises(ServerUnavailable):
            await api.activate()
        await fault(sandbox.base_url, revoke_token=account.token)
        with pytest.raises(NotSignedIn):
            await api.chats()


async def test_unreachable_server_is_a_network_error() -> None:
    from plow_tui.client.errors import NetworkError

    async with PlowClient("http://127.0.0.1:9", "tok-abcdefgh", max_retries=0) as api:
        with pytest.raises(NetworkError):
            await api.chats()


async def test_expired_activation(tmp_path) -> None:
    import asyncio

    from plow_tui.sandbox import SandboxConfig, SandboxServer

    with SandboxServer(SandboxConfig(port=0, seed=3, activation_ttl=60)) as server:
        async with PlowClient(server.base_url) as api, httpx.AsyncClient(base_url=server.base_url) as http:
            start = await api.activate()
            moved = await http.post("/sandbox/clock", json={"advance_seconds": 61})  # past the code's 60 s
            moved.raise_for_status()
            with pytest.raises(ActivationExpired):
                await api.redeem(start.activation_secret)
