"""A fake Plow server that misbehaves on purpose, over real loopback sockets.

`RogueServer` speaks just enough HTTP/1.1 (and the WebSocket handshake) to
be a Plow server for the client, and answers each route the way a test asks:
malformed JSON, huge bodies, a body dripped a byte at a time, an answer that
never comes, history pages that loop forever, redirects to another origin, a
handshake cut in the middle. It runs its own event loop in a thread, so the
same server serves in-process clients (async tests) and `plow-tui`
subprocesses (command tests) alike, and it records every request it got.

    with RogueServer() as server:
        server.route("GET", "/v1/chats", drip(b'{"data": []}', every=2.0))
        ...  # point a client at server.base_url
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

TICKET = "wst_HOSTILE_TICKET_0123456789"


@dataclass
class Request:
    """One request the server read: method, path (without the query), query, headers, body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Behaviour = Callable[[Request, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _head(status: int, headers: dict[str, str], length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status} Hostile", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def raw(body: bytes, status: int = 200, content_type: str = "application/json", **headers: str) -> Behaviour:
    """Answer `status` with exactly `body` (malformed JSON, HTML, nothing...)."""

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(status, {"Content-Type": content_type, **headers}, len(body)) + body)

    return behave


def reply(payload: Any, status: int = 200, **headers: str) -> Behaviour:
    """Answer well-formed JSON."""
    return raw(json.dumps(payload).encode(), status, **headers)


def huge(size: int, status: int = 200) -> Behaviour:
    """A JSON string body of `size` bytes, written in 64 KiB chunks."""

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(status, {"Content-Type": "application/json"}, size))
        chunk = b"x" * 65536
        writer.write(b'"')
        left = size - 2
        while left > 0:
            writer.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
            await writer.drain()
        writer.write(b'"')

    return behave


def drip(body: bytes, every: float) -> Behaviour:
    """Send the head at once, then the body one byte every `every` seconds (each read stays under a read timeout)."""

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, {"Content-Type": "application/json"}, len(body)))
        for byte in body:
            await writer.drain()
            await asyncio.sleep(every)
            writer.write(bytes([byte]))

    return behave


def silent() -> Behaviour:
    """Read the request and never answer (until the client gives up or the server stops)."""

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # returns when the client closes its side

    return behave


def cut(prefix: bytes) -> Behaviour:
    """Write `prefix` (e.g. half a handshake answer) and close the connection."""

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(prefix)

    return behave


def redirect(location: str, status: int = 302) -> Behaviour:
    """Send the client elsewhere (another origin, if the test says so)."""
    return raw(b"", status, Location=location)


def looping_pages(chat_uid: str, *, fresh: bool = True, size: int = 100) -> Behaviour:
    """Message pages that never end: `has_more` is always true.

    `fresh`: every page brings new uids (an endless history). Not `fresh`: the
    same page every time, whatever the cursor (a cursor that never advances).
    Pages hold `limit` messages, at most `size`.
    """
    counter = itertools.count()

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        limit = min(size, int(request.param("limit") or size))
        if fresh:
            uids = [f"msg_loop{next(counter):09d}" for _ in range(limit)]
        else:
            uids = [f"msg_same{i:04d}" for i in range(limit)]
        page = {"object": "list", "has_more": True, "data": [message(chat_uid, uid) for uid in uids]}
        await reply(page)(request, reader, writer)

    return behave


def message(chat_uid: str, uid: str, body: str | None = None, created_at: str = "2026-09-14T12:00:00Z") -> dict[str, Any]:
    """A well-formed inbound message object."""
    return {
        "uid": uid, "object": "message", "chat_uid": chat_uid, "direction": "inbound",
        "body": body if body is not None else f"text {uid}", "status": "received",
        "sender": {"type": "member", "uid": "cp_1", "display_name": "Ada"}, "created_at": created_at,
    }  # fmt: skip


def websocket(*frames: dict[str, Any], hold: bool = True) -> Behaviour:
    """Complete the WebSocket handshake, send `frames` (default: `connected`), then hold the socket open."""
    sent = frames or ({"type": "connected"},)

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        key = request.headers.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        for frame in sent:
            data = json.dumps(frame).encode()
            # Server frames are unmasked; lengths of 126+ use the 16-bit form.
            head = bytes([0x81, len(data)]) if len(data) < 126 else bytes([0x81, 126]) + len(data).to_bytes(2, "big")
            writer.write(head + data)
        if hold:
            await _until_close(reader, writer)

    return behave


async def _until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the client's frames until it closes; answer its close frame so it need not time out."""
    while True:
        head = await reader.readexactly(2)
        length = head[1] & 0x7F
        if length == 126:
            length = int.from_bytes(await reader.readexactly(2), "big")
        elif length == 127:
            length = int.from_bytes(await reader.readexactly(8), "big")
        await reader.readexactly(length + (4 if head[1] & 0x80 else 0))  # mask key and payload
        if head[0] & 0x0F == 0x8:
            writer.write(b"\x88\x02\x03\xe8")  # close 1000
            return


def sequence(*behaviours: Behaviour) -> Behaviour:
    """The first request gets the first behaviour, the second the second...; the last one repeats."""
    calls = itertools.count()

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await behaviours[min(next(calls), len(behaviours) - 1)](request, reader, writer)

    return behave


def history(messages: list[dict[str, Any]]) -> Behaviour:
    """An honest message list (`messages` newest first), honouring `limit` and `starting_after`."""

    async def behave(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        limit = int(request.param("limit") or 20)
        after = request.param("starting_after")
        start = next((i + 1 for i, m in enumerate(messages) if m["uid"] == after), 0) if after else 0
        data = messages[start : start + limit]
        await reply({"object": "list", "has_more": start + limit < len(messages), "data": data})(
            request, reader, writer
        )

    return behave


@dataclass
class RogueServer:
    """A loopback HTTP server whose routes misbehave as each test sets them (see the module docstring).

    Routes not set answer 404. `requests` lists every request read, in order.
    """

    routes: dict[tuple[str, str], Behaviour] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    base_url: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def route(self, method: str, path: str, behaviour: Behaviour) -> RogueServer:
        self.routes[(method.upper(), path)] = behaviour
        return self

    def plow(self, chat_uid: str = "cht_ROGUEchat0000000000001") -> RogueServer:
        """The well-behaved basics a client needs before the hostile part: chats, a ticket, a socket."""
        self.route("GET", "/v1/chats", reply({"object": "list", "data": [{"uid": chat_uid, "status": "active"}]}))
        self.route("POST", "/v1/ws/ticket", reply({"ticket": TICKET}))
        self.route("GET", "/v1/ws", websocket())
        self.route("GET", "/openapi.json", reply({"openapi": "3.1.0", "paths": {}}))
        return self

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in list(self.requests) if r.method == method and r.path == path)

    # -- running -------------------------------------------------------------------

    def start(self) -> str:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
            port = self._server.sockets[0].getsockname()[1]
            self.base_url = f"http://127.0.0.1:{port}"
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="rogue-server", daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("the hostile server did not start")
        return self.base_url

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(30)
        self._thread = None

    def __enter__(self) -> RogueServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await _read_request(reader)
            if request is None:
                return
            self.requests.append(request)
            behaviour = self.routes.get((request.method, request.path))
            if behaviour is None:
                behaviour = reply({"error": {"code": "not_found", "message": "No such route."}}, 404)
            await behaviour(request, reader, writer)
            with suppress(ConnectionError):
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with suppress(Exception):
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    parts = urlsplit(target)
    return Request(method.upper(), parts.path, parse_qs(parts.query), headers, body)


@contextmanager
def hostile_server() -> Iterator[RogueServer]:
    """A started `RogueServer`, stopped on exit."""
    with RogueServer() as server:
        yield server
