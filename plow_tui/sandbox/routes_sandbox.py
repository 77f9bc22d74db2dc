"""The `/sandbox` routes (PROTOCOL.md §7): people's phones, network faults and the clock."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from plow_tui.sandbox.context import SandboxContext
from plow_tui.sandbox.http_io import answers_errors, optional_int, optional_str, read_json_object, required_str
from plow_tui.sandbox.hub import Outgoing, serve_queue
from plow_tui.sandbox.records import iso
from plow_tui.sandbox.world import E164_RE, WorldError

MAX_TEXT_CHARS = 20_000
FAULT_KEYS = {"drop_sockets", "revoke_token", "fail_next", "delivery", "delivery_delay_ms", "failure_reason"}


def _phone(value: str, what: str) -> str:
    if not E164_RE.match(value):
        raise WorldError(422, f"{what} must be an E.164 number like +15555550101.")
    return value


def sandbox_routes(ctx: SandboxContext) -> list[BaseRoute]:
    world = ctx.world

    @answers_errors
    async def sms(request: Request) -> JSONResponse:
        data = await read_json_object(request)
        sender = _phone(required_str(data, "from", max_len=16), "from")
        to = _phone(required_str(data, "to", max_len=16), "to")
        text = required_str(data, "text", max_len=MAX_TEXT_CHARS, allow_empty=True)
        return JSONResponse({"effect": world.receive_text(sender, to, text)})

    @answers_errors
    async def phone_texts(request: Request) -> JSONResponse:
        phone = _phone(request.path_params["phone"], "phone")
        return JSONResponse(
            {
                "object": "list",
                "data": world.texts_of(phone),
                "has_more": False,
                "url": f"/sandbox/phones/{phone}/texts",
            }
        )

    async def phone_socket(websocket: WebSocket) -> None:
        phone = websocket.path_params["phone"]
        if not E164_RE.match(phone):
            await websocket.close(code=1008)  # before accept: HTTP 403
            return
        await websocket.accept()
        queue: asyncio.Queue[Outgoing] = asyncio.Queue()
        ctx.hub.phone_sockets.setdefault(phone, set()).add(queue)
        try:
            await serve_queue(websocket, queue)
        finally:
            queues = ctx.hub.phone_sockets.get(phone, set())
            queues.discard(queue)
            if not queues:
                ctx.hub.phone_sockets.pop(phone, None)

    @answers_errors
    async def faults(request: Request) -> JSONResponse:
        data = await read_json_object(request)
        unknown = sorted(set(data) - FAULT_KEYS)
        if unknown or not data:
            raise WorldError(
                422, f"give any of {', '.join(sorted(FAULT_KEYS))}" + (f"; unknown: {unknown}" if unknown else "")
            )
        result: dict[str, Any] = {}
        # Validate everything before changing anything: a bad body changes nothing.
        fail_next = _fail_next(data.get("fail_next"))
        delivery = optional_str(data, "delivery", max_len=20)
        delay = optional_int(data, "delivery_delay_ms", low=0, high=600_000)
        reason = optional_str(data, "failure_reason", max_len=500)
        drop = data.get("drop_sockets")
        if drop is not None and not isinstance(drop, bool):
            raise WorldError(422, "drop_sockets must be true or false.")
        token = optional_str(data, "revoke_token", max_len=500) if "revoke_token" in data else None
        if "revoke_token" in data and not token:
            raise WorldError(422, "revoke_token must be a token string.")
        world.set_faults(delivery=delivery, delivery_delay_ms=delay, fail_next=fail_next, failure_reason=reason)
        if token == "all":  # no minted token is "all" (they start with tok_)
            digests = world.revoke_all_tokens()
            result["closed_sockets"] = sum(ctx.hub.close_chat_sockets(4401, d) for d in digests)
            result["revoked"] = len(digests)
        elif token:
            token_digest = world.revoke_token(token)
            if token_digest is None:
                raise WorldError(404, "The sandbox never minted that token.")
            result["closed_sockets"] = ctx.hub.close_chat_sockets(4401, token_digest)
            result["revoked"] = True
        if drop:
            result["dropped_sockets"] = ctx.hub.close_chat_sockets(1011)
        f = world.faults
        result.update(
            delivery=f.delivery,
            delivery_delay_ms=f.delivery_delay_ms,
            failure_reason=f.failure_reason,
            fail_next={"status": f.fail_status, "count": f.fail_count} if f.fail_count else None,
        )
        return JSONResponse(result)

    @answers_errors
    async def fail_chat(request: Request) -> JSONResponse:
        data = await read_json_object(request)
        reason = optional_str(data, "reason", max_len=500) or "sandbox_failure"
        return JSONResponse(world.fail_chat(request.path_params["chat_uid"], reason))

    @answers_errors
    async def clock(request: Request) -> JSONResponse:
        # GET reads the sandbox's time; POST {"advance_seconds": N} moves it forward,
        # so TTLs run out without anyone waiting for them.
        if request.method == "POST":
            data = await read_json_object(request)
            seconds = data.get("advance_seconds")
            if set(data) != {"advance_seconds"} or isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                raise WorldError(422, 'give {"advance_seconds": N}, N a number of seconds (0 or more).')
            try:
                ctx.clock.advance(float(seconds))
            except ValueError as exc:
                raise WorldError(422, f"advance_seconds: {exc}.") from None
        return JSONResponse({"now": iso(ctx.clock()), "advanced_seconds": ctx.clock.offset})

    @answers_errors
    async def state(request: Request) -> JSONResponse:
        return JSONResponse(world.state(sockets=len(ctx.hub.chat_sockets)))

    return [
        Route("/sandbox/sms", sms, methods=["POST"]),
        Route("/sandbox/phones/{phone}/texts", phone_texts, methods=["GET"]),
        WebSocketRoute("/sandbox/phones/{phone}", phone_socket),
        Route("/sandbox/faults", faults, methods=["POST"]),
        Route("/sandbox/chats/{chat_uid}/fail", fail_chat, methods=["POST"]),
        Route("/sandbox/clock", clock, methods=["GET", "POST"]),
        Route("/sandbox/state", state, methods=["GET"]),
    ]


def _fail_next(raw: Any) -> tuple[int, int] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise WorldError(422, 'fail_next must be like {"status": 503, "count": 2}.')
    status = optional_int(raw, "status", low=400, high=599)
    count = optional_int(raw, "count", low=0, high=1000)
    if status is None:
        raise WorldError(422, "fail_next.status is required (400..599).")
    return status, 1 if count is None else count
