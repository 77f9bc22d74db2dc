"""ChatStream against the sandbox: drops, revocation, both frame forms, over real sockets."""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing

import pytest
from support.waits import WAIT

from plow_tui.client.errors import NotSignedIn
from plow_tui.client.events import ChatActivated, ConnectionChanged, MessagesArrived, MessageStatusChanged, ParticipantVerified
from plow_tui.client.http import PlowClient
from plow_tui.client.stream import ChatStream
from sandbox_people import fault, new_phone, sign_up, text

FAST = {"backoff_initial": 0.05, "backoff_max": 0.2}


async def _wait_live(events, it) -> None:
    async for event in it:
        events.append(event)
        if isinstance(event, ConnectionChanged) and event.state == "live":
            return


async def test_every_message_exactly_once_in_order_across_drops(sandbox) -> None:
    account = await sign_up(sandbox.base_url)
    chat = account.chat
    total = 36
    async with PlowClient(sandbox.base_url, account.token) as api:
        stream = ChatStream(api, chat.uid, **FAST)
        events: list = []
        received: list[str] = []

        async def consume() -> None:
            async with aclosing(stream.events()) as it:
                await _wait_live(events, it)
                live.set()
                async for event in it:
                    events.append(event)
                    if isinstance(event, MessagesArrived):
                        received.extend(m.uid for m in event.messages)
                        if len(received) >= total:
                            return

        live = asyncio.Event()
        consumer = asyncio.create_task(consume())
        await asyncio.wait_for(live.wait(), 10)
        for i in range(total):
            if i % 3 == 0:
                await api.send_message(chat.uid, f"out {i}")  # echoes on the socket
            else:
                await text(sandbox.base_url, account.phone, chat.number, f"in {i}")
            if i % 5 == 4:
                await fault(sandbox.base_url, drop_sockets=True)
                await asyncio.sleep(0.01)
        await asyncio.wait_for(consumer, 20)
        expected = [m.uid async for m in api.history(chat.uid)][::-1]
    assert len(received) == len(set(received)) == total
    assert received == expected[-total:]
    drops = [e for e in events if isinstance(e, ConnectionChanged) and e.state == "reconnecting"]
    assert len(drops) >= 3
    assert any(isinstance(e, MessagesArrived) and e.backfill for e in events)


async def test_status_updates_follow_sends(sandbox) -> None:
    account = await sign_up(sandbox.base_url)
    async with PlowClient(sandbox.base_url, account.token) as api:
        stream = ChatStream(api, account.chat.uid, **FAST)
        events: list = []
        async with aclosing(stream.events()) as it:
            await _wait_live(events, it)
            sent = await api.send_message(account.chat.uid, "hello")
            async for event in it:
                events.append(event)
                if isinstance(event, MessageStatusChanged):
                    break
    echoes = [m for e in events if isinstance(e, MessagesArrived) for m in e.messages]
    assert [m.uid for m in echoes] == [sent.uid] and echoes[0].direction == "outbound"
    assert events[-1].message.uid == sent.uid and events[-1].message.status == "delivered"


async def test_revoked_token_stops_the_stream(sandbox) -> None:
    account = await sign_up(sandbox.base_url)
    async with PlowClient(sandbox.base_url, account.token) as api:
        stream = ChatStream(api, account.chat.uid, **FAST)
        events: list = []
        with pytest.raises(NotSignedIn):
            async with aclosing(stream.events()) as it:
                await _wait_live(events, it)
                await fault(sandbox.base_url, revoke_token=account.token)
                async for event in it:
                    events.append(event)
    assert events[-1] == ConnectionChanged("offline", None, "not signed in")


async def test_all_chats_socket_envelopes_and_verification_events(sandbox) -> None:
    account = await sign_up(sandbox.base_url)
    async with PlowClient(sandbox.base_url, account.token) as api:
        stream = ChatStream(api, None, last_uids={account.chat.uid: None}, **FAST)
        events: list = []
        async with aclosing(stream.events()) as it:
            await _wait_live(events, it)
            line = (await api.lines())[0]
            created = await api.create_chat(line.uid, ["Sarah"])
            sarah = new_phone()
            code = created.members[0].verification_code
            assert await text(sandbox.base_url, sarah, line.provider_key, code) == "member_verified"
            await text(sandbox.base_url, account.phone, account.chat.number, "in the first chat")
            await fault(sandbox.base_url, drop_sockets=True)
            await text(sandbox.base_url, sarah, line.provider_key, "sarah while we were away")
            got: list[str] = []
            async for event in it:
                events.append(event)
                if isinstance(event, MessagesArrived):
                    got.extend(m.body for m in event.messages)
                if "sarah while we were away" in got:
                    break
    assert got == ["in the first chat", "sarah while we were away"]
    verified = next(e for e in events if isinstance(e, ParticipantVerified))
    assert verified.chat_uid == created.uid
    activated = next(e for e in events if isinstance(e, ChatActivated))
    assert activated.chat.uid == created.uid and activated.chat.status == "active"


async def test_cancelling_the_consumer_closes_the_socket(sandbox) -> None:
    import httpx

    account = await sign_up(sandbox.base_url)
    async with PlowClient(sandbox.base_url, account.token) as api:
        stream = ChatStream(api, account.chat.uid, **FAST)
        live = asyncio.Event()

        async def consume() -> None:
            async with aclosing(stream.events()) as it:
                async for event in it:
                    if isinstance(event, ConnectionChanged) and event.state == "live":
                        live.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(live.wait(), 10)
        async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
            assert (await http.get("/sandbox/state")).json()["sockets"] == 1
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert asyncio.all_tasks() == {asyncio.current_task()}
            deadline = time.monotonic() + WAIT  # the server notices the close a moment later
            while (await http.get("/sandbox/state")).json()["sockets"] != 0:
                assert time.monotonic() < deadline, "the server still counts the socket"
                await asyncio.sleep(0.05)


async def test_debug_logs_hold_no_token_or_ticket(sandbox, tmp_path) -> None:
    import logging

    from plow_tui.logs import configure_logging

    path = configure_logging(tmp_path / "debug.log", level=logging.DEBUG)
    root = logging.getLogger()
    try:
        account = await sign_up(sandbox.base_url)
        async with PlowClient(sandbox.base_url, account.token) as api:
            tickets: list[str] = []
            mint = api.ws_ticket

            async def recording_ticket(chat_uid):
                tickets.append(await mint(chat_uid))
                return tickets[-1]

            api.ws_ticket = recording_ticket  # type: ignore[method-assign]
            stream = ChatStream(api, account.chat.uid, **FAST)
            events: list = []
            with pytest.raises(NotSignedIn):
                async with aclosing(stream.events()) as it:
                    await _wait_live(events, it)
                    await fault(sandbox.base_url, drop_sockets=True)
                    await _wait_live(events, it)
                    await text(sandbox.base_url, account.phone, account.chat.number, "{not json either")
                    await fault(sandbox.base_url, revoke_token=account.token)
                    async for _ in it:
                        pass
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_plow_tui_handler", False)]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(logging.WARNING)
    log = path.read_text()
    assert len(tickets) == 2 and "HTTP Request" in log
    for secret in [account.token, *tickets]:
        assert secret not in log
