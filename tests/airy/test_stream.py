"""The conversation and its stream against the sandbox over loopback: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import pytest

from plow_tui.client.airy import stomp
from plow_tui.client.airy.conversation import AiryConversation, resume_token_key
from plow_tui.client.airy.errors import AiryChannelNotFound, AiryError
from plow_tui.client.airy.events import (
    AiryConversationRestarted,
    AiryEvent,
    AiryMessagesArrived,
    is_final,
)
from plow_tui.client.airy.http import AiryClient
from plow_tui.client.airy.stream import AiryStream
from plow_tui.client.events import ConnectionChanged
from plow_tui.client.secret_backends import MemoryStore
from plow_tui.client.tokens import TokenStore

from .fake_instance import fake_airy_instance

if TYPE_CHECKING:
    from tests.airy.conftest import AiryServer


def _store() -> TokenStore:
    return TokenStore([MemoryStore()], env={})


class Recorder:
    """Reads a stream's events in the background so a test can wait for a condition."""

    def __init__(self, stream: AiryStream) -> None:
        self.stream = stream
        self.events: list[AiryEvent] = []
        self.error: AiryError | None = None  # what ended the stream for good
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for event in self.stream.events():
                self.events.append(event)
                self._changed.set()
        except AiryError as error:
            self.error = error
            self._changed.set()

    async def wait(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    def arrived(self) -> list[str]:
        return [m.id for e in self.events if isinstance(e, AiryMessagesArrived) for m in e.messages]

    def states(self) -> list[str]:
        return [e.state for e in self.events if isinstance(e, ConnectionChanged)]

    def connected_times(self) -> int:
        return self.states().count("live")

    async def close(self) -> None:
        await self.stream.close()
        await asyncio.wait_for(self._task, 5)


def _stream(conversation: AiryConversation) -> AiryStream:
    return AiryStream(conversation, heartbeat_ms=(200, 200), reconnect_delays=(0.05, 0.1), receipt_wait=1.0)


@contextlib.asynccontextmanager
async def _connected(server: AiryServer) -> AsyncIterator[tuple[AiryConversation, Recorder]]:
    """A new conversation on `server` whose recorded stream has come live once."""
    async with AiryClient(server.base_url) as client:
        conversation = AiryConversation(client, server.channel_id, store=_store())
        recorder = Recorder(_stream(conversation))
        await recorder.wait(lambda: recorder.connected_times() == 1)
        yield conversation, recorder


async def test_new_then_resumed_conversation(airy_server: AiryServer) -> None:
    store = _store()
    async with AiryClient(airy_server.base_url) as client:
        first = AiryConversation(client, airy_server.channel_id, store=store)
        await first.start()
        assert first.messages == []
        sent = await first.send("hello")
        assert sent.from_contact and sent.text == "hello"
    key = resume_token_key(airy_server.base_url + "/", airy_server.channel_id.upper())
    assert await store.get_secret(key)

    async with AiryClient(airy_server.base_url) as client:
        second = AiryConversation(client, airy_server.channel_id, store=store)
        recorder = Recorder(_stream(second))
        await recorder.wait(lambda: recorder.connected_times() == 1)
        assert recorder.arrived() == [sent.id]
        first_batch = next(e for e in recorder.events if isinstance(e, AiryMessagesArrived))
        assert first_batch.backfill is True
        assert not any(isinstance(e, AiryConversationRestarted) for e in recorder.events)
        await recorder.close()
        assert recorder.states()[-1] == "offline"
    assert len(await asyncio.to_thread(airy_server.conversation_ids)) == 1


async def test_send_and_echo_are_one_message_and_agent_messages_are_pushed(airy_server: AiryServer) -> None:
    async with _connected(airy_server) as (conversation, recorder):
        sent = await conversation.send({"text": "Yes", "postbackData": "yes"})
        conversation_id = await asyncio.to_thread(airy_server.only_conversation)
        agent = await asyncio.to_thread(airy_server.agent_says, conversation_id, "Great!")
        # Pushes keep their order, so once the agent's message is here the echo was too.
        await recorder.wait(lambda: agent["id"] in recorder.arrived())
        assert recorder.arrived() == [sent.id, agent["id"]]
        assert conversation.conversation_id == conversation_id
        last = recorder.events[-1]
        assert isinstance(last, AiryMessagesArrived) and last.backfill is False
        (pushed,) = last.messages
        assert pushed.from_contact is False and pushed.text == "Great!" and pushed.delivery_state == "delivered"
        assert [m.text for m in conversation.messages] == ["Yes", "Great!"]
        await recorder.close()


async def test_expired_auth_token_re_authenticates_in_the_same_conversation(airy_server_factory) -> None:
    server = airy_server_factory(auth_token_ttl=60, heartbeat_ms=200)
    async with AiryClient(server.base_url) as client:
        conversation = AiryConversation(client, server.channel_id, store=_store())
        await conversation.start()
        first = await conversation.send("one")
        server.advance(61)  # the auth token is past its lifetime
        second = await conversation.send("two")
    assert [m.id for m in conversation.messages] == [first.id, second.id]
    # Still one conversation: the resume token brought the same one back.
    assert len(await asyncio.to_thread(server.conversation_ids)) == 1


async def test_refused_resume_token_starts_a_new_conversation_and_says_so(airy_server: AiryServer) -> None:
    async with _connected(airy_server) as (conversation, recorder):
        before = await conversation.send("before")
        await asyncio.to_thread(airy_server.fault, expire_tokens=True)
        after = await conversation.send("after")
        await recorder.wait(lambda: any(isinstance(e, AiryConversationRestarted) for e in recorder.events))
        # The socket belonged to the old conversation: it reconnects into the new one.
        await recorder.wait(lambda: recorder.connected_times() == 2)
        conversations = await asyncio.to_thread(airy_server.conversation_ids)
        assert len(conversations) == 2
        agent = await asyncio.to_thread(airy_server.agent_says, conversations[1], "new here?")
        await recorder.wait(lambda: agent["id"] in recorder.arrived())
        assert Counter(recorder.arrived()) == Counter([before.id, after.id, agent["id"]])
        await recorder.close()


async def test_socket_refused_with_401_re_authenticates(airy_server: AiryServer) -> None:
    async with _connected(airy_server) as (conversation, recorder):
        # Old tokens die and the socket drops: CONNECT with the old token gets ERROR 401.
        await asyncio.to_thread(airy_server.fault, expire_tokens=True, drop_sockets=True)
        await recorder.wait(lambda: recorder.connected_times() == 2)
        assert any(isinstance(e, AiryConversationRestarted) for e in recorder.events)
        await recorder.close()


async def test_dropped_sockets_during_traffic_lose_and_double_nothing(airy_server: AiryServer) -> None:
    rng = random.Random(7)
    async with _connected(airy_server) as (conversation, recorder):
        conversation_id = await asyncio.to_thread(airy_server.only_conversation)

        def agent_traffic() -> list[str]:
            ids = []
            for n in range(30):
                ids.append(airy_server.agent_says(conversation_id, f"agent {n}")["id"])
                if rng.random() < 0.25:
                    airy_server.fault(drop_sockets=True)
            return ids

        agent_task = asyncio.create_task(asyncio.to_thread(agent_traffic))
        visitor_ids = []
        for n in range(10):
            visitor_ids.append((await conversation.send(f"visitor {n}")).id)
            await asyncio.sleep(0.01)
        agent_ids = await agent_task
        expected = set(agent_ids) | set(visitor_ids)
        await airy_server_fault_and_wait(airy_server, recorder)
        await recorder.wait(lambda: set(recorder.arrived()) >= expected, timeout=10)
        counts = Counter(recorder.arrived())
        assert set(counts) == expected
        assert max(counts.values()) == 1
        assert recorder.connected_times() >= 2  # the drops really happened
        await recorder.close()


async def airy_server_fault_and_wait(server: AiryServer, recorder: Recorder) -> None:
    # One last drop after the traffic: the reconnect's backfill must bring
    # whatever fell between two sockets.
    before = recorder.connected_times()
    await asyncio.to_thread(server.fault, drop_sockets=True)
    await recorder.wait(lambda: recorder.connected_times() > before)


async def test_heartbeats_keep_a_quiet_connection_open(airy_server_factory) -> None:
    server = airy_server_factory(heartbeat_ms=100, idle_timeout=0.5)
    async with AiryClient(server.base_url) as client:
        conversation = AiryConversation(client, server.channel_id)
        stream = AiryStream(conversation, heartbeat_ms=(100, 100), reconnect_delays=(0.05,))
        recorder = Recorder(stream)
        await recorder.wait(lambda: recorder.connected_times() == 1)
        await asyncio.sleep(1.2)  # more than twice the idle timeout
        assert "reconnecting" not in recorder.states()
        await recorder.close()


async def test_no_negotiated_heartbeats_means_silence_is_fine(airy_server_factory) -> None:
    server = airy_server_factory(heartbeat_ms=0, idle_timeout=30)
    async with AiryClient(server.base_url) as client:
        conversation = AiryConversation(client, server.channel_id)
        recorder = Recorder(AiryStream(conversation, heartbeat_ms=(100, 100), reconnect_delays=(0.05,)))
        await recorder.wait(lambda: recorder.connected_times() == 1)
        await asyncio.sleep(0.5)  # silence on purpose: nothing may reconnect meanwhile
        assert "reconnecting" not in recorder.states()
        await recorder.close()


async def test_a_server_that_stops_beating_is_left_and_rejoined() -> None:
    # A fake instance: HTTP through a mock transport, and a socket that says
    # CONNECTED with 100 ms beats, never sends a RECEIPT (as Spring's simple
    # broker) and then goes silent.
    sockets = 0

    async def handler(ws) -> None:
        nonlocal sockets
        sockets += 1
        await ws.recv()
        await ws.send(stomp.encode_text(stomp.Frame.build("CONNECTED", {"version": "1.2", "heart-beat": "100,100"})))
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    async with fake_airy_instance(handler) as client:
        conversation = AiryConversation(client, "5f1e7c2a-8b4d-4e6f-9a1c-3d2b0e4f6a70")
        stream = AiryStream(conversation, heartbeat_ms=(100, 100), reconnect_delays=(0.05,), receipt_wait=0.1)
        recorder = Recorder(stream)
        await recorder.wait(lambda: recorder.connected_times() >= 2)
        changes = [e for e in recorder.events if isinstance(e, ConnectionChanged)]
        assert any(e.reason == "the server went quiet" for e in changes)
        assert sockets >= 2
        await recorder.close()


async def test_disconnected_channel_is_a_clear_error(airy_server: AiryServer) -> None:
    async with _connected(airy_server) as (conversation, recorder):
        await asyncio.to_thread(airy_server.fault, disconnect_channel=airy_server.channel_id, drop_sockets=True)
        await recorder.wait(lambda: recorder.error is not None)
        assert isinstance(recorder.error, AiryChannelNotFound)  # raised, after a last `offline`
        assert "no longer connected" in str(recorder.error)
        assert is_final(recorder.events[-1])
        await recorder.close()

    async with AiryClient(airy_server.base_url) as client:
        with pytest.raises(AiryChannelNotFound):
            await AiryConversation(client, airy_server.channel_id).start()


async def test_unreachable_instance_keeps_retrying_without_failing() -> None:
    async with AiryClient("http://127.0.0.1:9") as client:
        conversation = AiryConversation(client, "5f1e7c2a-8b4d-4e6f-9a1c-3d2b0e4f6a70")
        recorder = Recorder(AiryStream(conversation, reconnect_delays=(0.05,)))
        await recorder.wait(lambda: recorder.states().count("offline") >= 2)
        assert recorder.error is None
        await recorder.close()


async def test_tokens_stay_out_of_the_log_file_even_at_debug(airy_server: AiryServer, tmp_path) -> None:
    import logging

    from plow_tui.logs import configure_logging

    root = logging.getLogger()
    level = root.level
    log_path = configure_logging(tmp_path / "plow-tui.log", level=logging.DEBUG)
    try:
        async with AiryClient(airy_server.base_url) as client:
            store = _store()
            conversation = AiryConversation(client, airy_server.channel_id, store=store)
            recorder = Recorder(_stream(conversation))
            await recorder.wait(lambda: recorder.connected_times() == 1)
            await conversation.send("hello")
            auth_token = client.token
            resume_token = await store.get_secret(resume_token_key(airy_server.base_url, airy_server.channel_id))
            await recorder.close()
    finally:
        for handler in list(root.handlers):
            if getattr(handler, "baseFilename", None) == str(log_path):
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
    text = log_path.read_text()
    assert "> TEXT 43 4f 4e 4e 45 43 54" in text  # websockets logged the CONNECT frame itself
    assert auth_token and resume_token
    assert auth_token not in text and resume_token not in text
    assert auth_token not in repr(client) and auth_token not in repr(conversation)
