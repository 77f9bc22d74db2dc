"""A fake Plow server whose every string is chosen by an attacker.

`HostileServer(fields)` answers the REST routes of PROTOCOL.md through
`httpx.MockTransport`, putting `fields[...]` (hostile strings from
`tests.support.hostile`) into every field of every resource: chat, members,
agent line, lines, messages and their senders, errors. `frames()` gives the
WebSocket frames of §6 carrying the same strings, and `FakeSocket` plays them
to a `ChatStream` through its `connect` hook. With `failing`, every request
answers an error whose code and message are hostile.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

# Every string field a server chooses, by the name the fake uses for it.
FIELDS = (
    "chat_uid", "chat_title", "chat_status", "chat_number", "failure_reason",
    "member_uid", "member_name", "member_status", "member_phone",
    "line_uid", "line_type", "line_number", "line_name",
    "message_uid", "message_body", "message_status", "sender_name", "sender_phone",
    "error_code", "error_message", "openapi_path",
)  # fmt: skip

BASE_URL = "http://plow.test"
CHAT = "cht_1"  # the uid commands are asked about; the server's answers use fields["chat_uid"]
SECRET = "act_HOSTILESECRET0123456789"
TOKEN = "tok_HOSTILETOKEN0123456789"


def _json(status: int, body: Any) -> httpx.Response:
    # ASCII JSON, as a server may send it: a lone surrogate travels as `\\ud800`
    # and reaches the client as a real (unprintable) lone surrogate.
    return httpx.Response(status, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


class HostileServer:
    """REST answers built from hostile `fields`; `failing` turns every answer into an error."""

    def __init__(
        self,
        fields: dict[str, str],
        *,
        failing: int | None = None,
        code: str = "ABCDE",
        ticket_limit: int | None = 1,
    ) -> None:
        self.f = fields
        self.failing = failing
        self.code = code  # the activation code it hands out
        self.ticket_limit = ticket_limit  # after these, tickets are refused (404): a stream ends
        self.tickets = 0

    # -- resources ---------------------------------------------------------------

    def member(self) -> dict[str, Any]:
        f = self.f
        return {"object": "chat_participant", "type": "member", "uid": f["member_uid"], "status": f["member_status"],
                "display_name": f["member_name"], "role": "owner", "provider_key": f["member_phone"],
                "provider_type": f["line_type"]}  # fmt: skip

    def line(self) -> dict[str, Any]:
        f = self.f
        return {"object": "line", "uid": f["line_uid"], "provider_type": f["line_type"],
                "provider_key": f["line_number"], "display_name": f["line_name"]}  # fmt: skip

    def chat(self, *, titled: bool = True) -> dict[str, Any]:
        f = self.f
        agent = {"object": "chat_participant", "type": "agent", "uid": "cp_agent", "line": self.line()}
        chat = {"object": "chat", "uid": f["chat_uid"], "status": f["chat_status"], "failure_reason": f["failure_reason"],
                "provider_key": f["chat_number"], "participants": [self.member(), agent],
                "created_at": "2026-09-14T12:00:00Z"}  # fmt: skip
        if titled:
            chat["display_name"] = f["chat_title"]
        return chat

    def message(self, n: int = 0, *, direction: str = "inbound") -> dict[str, Any]:
        f = self.f
        return {"object": "message", "uid": f"{f['message_uid']}{n}", "chat_uid": f["chat_uid"], "direction": direction,
                "body": f["message_body"], "status": f["message_status"],
                "sender": {"type": "member", "uid": f["member_uid"], "display_name": f["sender_name"],
                           "provider_key": f["sender_phone"]},
                "created_at": f"2026-09-14T12:0{n}:00Z"}  # fmt: skip

    def listing(self, data: list[Any]) -> dict[str, Any]:
        return {"object": "list", "data": data, "has_more": False, "url": "/v1/x"}

    def error(self, status: int) -> httpx.Response:
        f = self.f
        return _json(status, {"detail": {"code": f["error_code"], "message": f["error_message"]}})

    # -- routes --------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        method = request.method
        if self.failing is not None:
            return self.error(self.failing)
        if path == "/openapi.json":
            return _json(200, {"paths": {self.f["openapi_path"]: {"get": {}}}})
        if path == "/v1/auth/activate":
            return _json(200, {"display_code": self.code, "activation_secret": SECRET,
                                             "send_to": "+15550000001", "line_id": self.f["line_uid"]})  # fmt: skip
        if path == "/v1/auth/activate/redeem":
            return _json(200, {"status": "verified", "token": TOKEN, "chat": self.chat()})
        if path == "/v1/lines":
            return _json(200, self.listing([self.line()]))
        if path == "/v1/chats" and method == "GET":
            return _json(200, self.listing([self.chat(), self.chat(titled=False)]))
        if path == "/v1/ws/ticket":
            self.tickets += 1
            if self.ticket_limit is not None and self.tickets > self.ticket_limit:
                return self.error(404)  # ends a stream: its reason is hostile too
            return _json(200, {"object": "ws_ticket", "ticket": "tkt_HOSTILETICKET0123456789"})
        if path.endswith("/messages") and method == "POST":
            return _json(201, self.message(direction="outbound"))
        if path.endswith("/messages"):
            data = [self.message(2), self.message(1, direction="outbound"), self.message(0)]
            return _json(200, self.listing(data))
        if path.startswith("/v1/chats/"):
            return _json(200, self.chat())
        return self.error(404)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- the socket ------------------------------------------------------------------

    def frames(self) -> list[str]:
        """Every §6 frame kind, each field hostile, in both frame forms."""
        f = self.f
        chat = self.chat()
        member = {**self.member(), "status": "active"}
        return [json.dumps(frame) for frame in [
            {"type": "message_received", "chat_uid": f["chat_uid"], "message": self.message(5)},
            {"event_id": "evt_1", "event_type": "message.received", "chat_id": f["chat_uid"],
             "data": {"type": "message_received", "message": self.message(6)}},
            {"type": "message_status_updated", "chat_uid": f["chat_uid"], "message": self.message(1, direction="outbound")},
            {"type": "participant_verified", "chat_uid": f["chat_uid"], "participant": member},
            {"type": "chat_active", "chat_uid": f["chat_uid"], "chat": chat},
            {"type": "chat_activation_failed", "chat_uid": f["chat_uid"], "reason": f["failure_reason"],
             "message": f["error_message"]},
        ]]  # fmt: skip


class FakeSocket:
    """A WebSocket for `ChatStream(connect=...)`: `connected`, then `frames`, then silence or a close."""

    # `recv` serves the handshake's `connected`; iteration serves the rest.

    def __init__(self, frames: list[str], *, stay_open: bool, gate: asyncio.Event | None = None) -> None:
        self._connected = json.dumps({"type": "connected"})
        self._frames = list(frames)
        self._stay_open = stay_open
        self._gate = gate
        self.close_code: int | None = None

    async def recv(self) -> str:
        if self._connected:
            connected, self._connected = self._connected, ""
            return connected
        return await self.__anext__()

    def __aiter__(self) -> FakeSocket:
        return self

    async def __anext__(self) -> str:
        if self._gate is not None:
            await self._gate.wait()
        if self._frames:
            return self._frames.pop(0)
        if self._stay_open:
            await asyncio.Event().wait()  # quiet until the test ends
        self.close_code = 1000
        raise StopAsyncIteration

    async def close(self) -> None:
        pass


def connect_to(server: HostileServer, *, stay_open: bool, gate: asyncio.Event | None = None):  # noqa: ANN201
    """A `connect` for `ChatStream` that hands out a `FakeSocket` playing `server.frames()`.

    With `gate`, the frames after `connected` wait until it is set.
    """

    async def connect(url: str, **options: Any) -> FakeSocket:
        return FakeSocket(server.frames(), stay_open=stay_open, gate=gate)

    return connect
