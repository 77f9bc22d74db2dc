"""Open WebSockets of the sandbox and the fan-out of world events to them."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket

from plow_tui.sandbox.world import ChatEvent, PhoneTextEvent


@dataclass(frozen=True)
class Close:
    """Queued for a socket: close it with this code."""

    code: int


Outgoing = dict[str, Any] | Close


@dataclass(eq=False)
class ChatSocket:
    """One open `/v1/ws` socket: whose it is, what it listens to, and in which frame form."""

    account_uid: str
    token_digest: str
    chat_uid: str | None  # None: every chat of the account (§6.2 envelopes)
    queue: asyncio.Queue[Outgoing] = field(default_factory=asyncio.Queue)

    @property
    def envelopes(self) -> bool:
        return self.chat_uid is None

    def wants(self, event: ChatEvent) -> bool:
        return event.account_uid == self.account_uid and self.chat_uid in (None, event.chat_uid)


def seed_frame(event: ChatEvent) -> dict[str, Any]:
    """§6.1: `{"type": …, …payload}`."""
    return {"type": event.type, **event.payload}


def envelope_frame(event: ChatEvent) -> dict[str, Any]:
    """§6.2: the newer form, with an `event_id` to deduplicate by."""
    return {
        "event_id": event.event_id,
        "event_type": event.type,
        "created_at": event.created_at,
        "chat_id": event.chat_uid,
        "data": seed_frame(event),
    }


class SocketHub:
    """Registers open sockets and turns world events into frames on their queues.

    Everything runs on the server's one event loop: a world event is put on
    the queues synchronously, in order, and each socket's task sends its queue.
    """

    def __init__(self) -> None:
        self.chat_sockets: set[ChatSocket] = set()
        self.phone_sockets: dict[str, set[asyncio.Queue[Outgoing]]] = {}

    def on_event(self, event: ChatEvent | PhoneTextEvent) -> None:
        if isinstance(event, PhoneTextEvent):
            for queue in self.phone_sockets.get(event.phone, ()):
                queue.put_nowait(event.text)
            return
        for sock in self.chat_sockets:
            if sock.wants(event):
                sock.queue.put_nowait(envelope_frame(event) if sock.envelopes else seed_frame(event))

    def close_chat_sockets(self, code: int, token_digest: str | None = None) -> int:
        """Close every `/v1/ws` socket (or only those of one token); returns how many."""
        targets = [s for s in self.chat_sockets if token_digest is None or s.token_digest == token_digest]
        for sock in targets:
            sock.queue.put_nowait(Close(code))
        return len(targets)


async def serve_queue(websocket: WebSocket, queue: asyncio.Queue[Outgoing]) -> None:
    """Send what arrives on `queue` until it says Close or the peer goes away.

    Incoming frames are read and dropped: clients only send pings (answered by
    the protocol layer), and reading is how a disconnect is noticed.
    """

    async def drain() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    async def push() -> None:
        while True:
            item = await queue.get()
            if isinstance(item, Close):
                await websocket.close(item.code)
                return
            await websocket.send_text(json.dumps(item))

    tasks = [asyncio.create_task(drain()), asyncio.create_task(push())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            # A send to a vanished peer or a receive after close ends a task with
            # an error; either way this socket is finished.
            with contextlib.suppress(BaseException):
                await task
