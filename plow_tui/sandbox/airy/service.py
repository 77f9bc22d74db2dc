"""HTTP and STOMP-over-WebSocket routes of the sandbox's Airy instance.

`AiryService(config).routes` is a list of Starlette routes that the main
sandbox app mounts next to its Plow routes (same port). Besides the routes of
AIRY.md it serves `GET /sandbox/airy/conversations`, so that a test or a
developer can learn the conversation id an agent should answer in. All state lives in
one event loop (uvicorn's), so nothing here needs a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from plow_tui.sandbox.airy.stomp import FrameError, StompFrame, StompReader, render
from plow_tui.sandbox.airy.world import AiryConfig, AiryHttpError, AiryWorld, Conversation

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
SUBPROTOCOL = "v12.stomp"
USER_QUEUE = "/user/queue/message"


def _error(exc: AiryHttpError) -> Response:
    # The real server answers with an empty body or {"message": …}.
    if exc.message:
        return JSONResponse({"message": exc.message}, status_code=exc.status)
    return Response(status_code=exc.status)


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise AiryHttpError(400, "request body too large")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AiryHttpError(400, "request body is not JSON") from exc
    if not isinstance(body, dict):
        raise AiryHttpError(400, "request body must be a JSON object")
    return body


class _StompSession:
    """One `/ws.chatplugin` socket: what it subscribed to and what waits to be sent."""

    def __init__(self) -> None:
        self.outbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.conversation_id: str | None = None
        self.subscriptions: dict[str, str] = {}  # subscription id -> destination
        self.closing = False

    def drop(self) -> None:
        """Close after what is already queued (an ERROR, a RECEIPT) has gone out."""
        self.closing = True
        self.outbox.put_nowait(None)


class AiryService:
    """The Airy Chat Plugin API over HTTP and STOMP, plus `/sandbox/airy/...` test routes."""

    def __init__(self, config: AiryConfig | None = None) -> None:
        self.config = config or AiryConfig()
        self.world = AiryWorld(self.config)
        self._sessions: set[_StompSession] = set()

    @property
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/chatplugin.authenticate", self._authenticate, methods=["POST"]),
            Route("/chatplugin.resumeToken", self._resume_token, methods=["POST"]),
            Route("/chatplugin.send", self._send, methods=["POST"]),
            WebSocketRoute("/ws.chatplugin", self._websocket),
            Route("/sandbox/airy/conversations", self._conversations, methods=["GET"]),
            Route(
                "/sandbox/airy/conversations/{conversation_id}/messages",
                self._agent_message,
                methods=["POST"],
            ),
            Route("/sandbox/airy/faults", self._faults, methods=["POST"]),
        ]

    # -- HTTP -------------------------------------------------------------------

    async def _authenticate(self, request: Request) -> Response:
        try:
            return JSONResponse(self.world.authenticate(await _json_body(request)))
        except AiryHttpError as exc:
            return _error(exc)

    async def _resume_token(self, request: Request) -> Response:
        try:
            body = await _json_body(request)
            return JSONResponse(self.world.resume_token(request.headers.get("authorization"), body))
        except AiryHttpError as exc:
            return _error(exc)

    async def _send(self, request: Request) -> Response:
        try:
            body = await _json_body(request)
            conversation, message = self.world.send(request.headers.get("authorization"), body)
        except AiryHttpError as exc:
            return _error(exc)
        self._push(conversation, message)
        return JSONResponse(message)

    async def _conversations(self, request: Request) -> Response:
        return JSONResponse(
            {
                "conversations": [
                    {"id": c.id, "channel_id": c.channel_id, "message_count": len(c.messages)}
                    for c in self.world.conversations.values()
                ]
            }
        )

    async def _agent_message(self, request: Request) -> Response:
        try:
            body = await _json_body(request)
            conversation, message = self.world.agent_says(request.path_params["conversation_id"], body)
        except AiryHttpError as exc:
            return _error(exc)
        self._push(conversation, message)
        return JSONResponse(message)

    async def _faults(self, request: Request) -> Response:
        try:
            body = await _json_body(request)
            known = {"drop_sockets", "expire_tokens", "disconnect_channel"}
            if not body or not set(body) <= known:
                raise AiryHttpError(400, f"faults are any of {sorted(known)}")
            channel = body.get("disconnect_channel")
            if channel is not None and not isinstance(channel, str):
                raise AiryHttpError(400, "disconnect_channel must be a channel id")
        except AiryHttpError as exc:
            return _error(exc)
        if body.get("expire_tokens"):
            self.world.expire_tokens()
        if channel:
            self.world.disconnect_channel(channel)
        dropped = 0
        if body.get("drop_sockets"):
            dropped = len(self._sessions)
            for session in list(self._sessions):
                session.drop()
        return JSONResponse({"dropped_sockets": dropped})

    # -- STOMP --------------------------------------------------------------------

    def _push(self, conversation: Conversation, message: dict[str, Any]) -> None:
        body = json.dumps(
            {"conversation_id": conversation.id, "channel_id": conversation.channel_id, "message": message}
        ).encode()
        for session in self._sessions:
            if session.conversation_id != conversation.id:
                continue
            for sub_id, destination in session.subscriptions.items():
                if destination == USER_QUEUE:
                    headers = {
                        "destination": destination,
                        "subscription": sub_id,
                        "message-id": str(uuid.uuid4()),
                        "content-type": "application/json",
                    }
                    session.outbox.put_nowait(render("MESSAGE", headers, body))

    async def _websocket(self, websocket: WebSocket) -> None:
        offered = websocket.scope.get("subprotocols") or []
        await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
        session = _StompSession()
        self._sessions.add(session)
        heartbeat = {"send": 0.0, "expect": 0.0}
        reader = asyncio.create_task(self._read_frames(websocket, session, heartbeat))
        writer = asyncio.create_task(self._write_frames(websocket, session, heartbeat))
        try:
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            if session.closing and not writer.done():
                # Let the writer flush the ERROR or RECEIPT that explains the close.
                await asyncio.wait({writer}, timeout=1.0)
        finally:
            self._sessions.discard(session)
            for task in (reader, writer):
                task.cancel()
            await asyncio.gather(reader, writer, return_exceptions=True)
            with contextlib.suppress(Exception):
                await websocket.close(code=1001)

    async def _read_frames(self, websocket: WebSocket, session: _StompSession, heartbeat: dict[str, float]) -> None:
        parser = StompReader()
        while True:
            # Nothing at all (not even a heart-beat) for too long: the client is gone.
            timeout = self.config.idle_timeout
            if heartbeat["expect"]:
                timeout = min(timeout, 3 * heartbeat["expect"])
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
                async with asyncio.timeout(timeout):
                    event = await websocket.receive()
            except asyncio.TimeoutError:
                session.drop()
                return
            if event["type"] == "websocket.disconnect":
                return
            data = event.get("bytes") or (event.get("text") or "").encode()
            try:
                frames = parser.feed(data)
            except FrameError as exc:
                self._fail(session, str(exc))
                return
            for frame in frames:
                if not self._handle(frame, session, heartbeat):
                    return

    def _fail(self, session: _StompSession, message: str) -> None:
        session.outbox.put_nowait(render("ERROR", {"message": message, "content-type": "text/plain"}, message.encode()))
        session.drop()

    def _handle(self, frame: StompFrame, session: _StompSession, heartbeat: dict[str, float]) -> bool:
        """Act on one client frame; False when the connection must end."""
        command = frame.command
        if command in ("CONNECT", "STOMP"):
            if session.conversation_id is not None:
                self._fail(session, "already connected")
                return False
            versions = frame.headers.get("accept-version", "1.0").split(",")
            if "1.2" not in versions:
                self._fail(session, "only STOMP 1.2 is supported")
                return False
            try:
                conversation = self.world.conversation_for(
                    frame.headers.get("Authorization") or frame.headers.get("authorization")
                )
            except AiryHttpError:
                self._fail(session, "401 Unauthorized")
                return False
            session.conversation_id = conversation.id
            self._negotiate(frame.headers.get("heart-beat", "0,0"), heartbeat)
            beat = self.config.heartbeat_ms
            session.outbox.put_nowait(render("CONNECTED", {"version": "1.2", "heart-beat": f"{beat},{beat}"}))
        elif session.conversation_id is None:
            self._fail(session, "CONNECT first")
            return False
        elif command == "SUBSCRIBE":
            sub_id, destination = frame.headers.get("id"), frame.headers.get("destination")
            if not sub_id or not destination:
                self._fail(session, "SUBSCRIBE needs id and destination")
                return False
            session.subscriptions[sub_id] = destination
        elif command == "UNSUBSCRIBE":
            session.subscriptions.pop(frame.headers.get("id", ""), None)
        elif command == "DISCONNECT":
            self._receipt(frame, session)
            session.drop()
            return False
        elif command not in ("SEND", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT"):
            self._fail(session, f"unknown command {command}")
            return False
        self._receipt(frame, session)
        return True

    @staticmethod
    def _receipt(frame: StompFrame, session: _StompSession) -> None:
        receipt = frame.headers.get("receipt")
        if receipt:
            session.outbox.put_nowait(render("RECEIPT", {"receipt-id": receipt}))

    def _negotiate(self, offered: str, heartbeat: dict[str, float]) -> None:
        try:
            client_send, client_expect = (int(part) for part in offered.split(","))
        except ValueError:
            client_send = client_expect = 0
        ours = self.config.heartbeat_ms
        if ours > 0 and client_expect > 0:
            heartbeat["send"] = max(ours, client_expect) / 1000
        if ours > 0 and client_send > 0:
            heartbeat["expect"] = max(ours, client_send) / 1000

    async def _write_frames(self, websocket: WebSocket, session: _StompSession, heartbeat: dict[str, float]) -> None:
        while True:
            try:
                async with asyncio.timeout(heartbeat["send"] or None):
                    item = await session.outbox.get()
            except asyncio.TimeoutError:
                item = b"\n"
            if item is None:
                return
            await websocket.send_text(item.decode("utf-8", errors="replace"))
