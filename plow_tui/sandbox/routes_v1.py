"""The `/v1` routes: Plow's public API as PROTOCOL.md §2–§6 describe it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from plow_tui.sandbox.context import SandboxContext
from plow_tui.sandbox.http_io import (
    answers_errors,
    bearer_token,
    optional_bool,
    optional_str,
    read_json_object,
    required_str,
)
from plow_tui.sandbox.hub import ChatSocket, serve_queue
from plow_tui.sandbox.records import Account
from plow_tui.sandbox.world import WorldError

# Live clients split long texts at 4000 characters themselves (§5).
MAX_MESSAGE_CHARS = 4000
MAX_MEMBERS = 50
MAX_PAGE = 100


def _list(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def v1_routes(ctx: SandboxContext) -> list[BaseRoute]:
    world = ctx.world

    def account_of(request: Request) -> tuple[Account, str]:
        """The caller's account and token digest; 401 without a good Bearer token."""
        return world.authenticate(bearer_token(request))

    @answers_errors
    async def activate(request: Request) -> JSONResponse:
        data = await read_json_object(request)
        name = optional_str(data, "name")
        provision = optional_bool(data, "provision_chat")
        _secret, body = world.start_activation(name, provision)
        return JSONResponse(body)

    @answers_errors
    async def redeem(request: Request) -> JSONResponse:
        data = await read_json_object(request)
        secret = required_str(data, "activation_secret", max_len=200)
        return JSONResponse(world.redeem(secret))

    @answers_errors
    async def lines(request: Request) -> JSONResponse:
        account_of(request)
        return JSONResponse(_list([ln.wire() for ln in world.lines], "/v1/lines"))

    @answers_errors
    async def chats(request: Request) -> JSONResponse:
        account, _ = account_of(request)
        if request.method == "GET":
            return JSONResponse(_list(world.list_chats(account), "/v1/chats"))
        data = await read_json_object(request)
        line_uid, names = _parse_participants(data.get("participants"))
        display_name = optional_str(data, "display_name")
        return JSONResponse(world.create_chat(account, line_uid, names, display_name), status_code=201)

    @answers_errors
    async def chat(request: Request) -> JSONResponse:
        account, _ = account_of(request)
        uid = request.path_params["chat_uid"]
        if request.method == "DELETE":
            return JSONResponse(world.delete_chat(account, uid))
        return JSONResponse(world.get_chat(account, uid))

    @answers_errors
    async def resend(request: Request) -> JSONResponse:
        account, _ = account_of(request)
        member = world.resend_invitation(
            account, request.path_params["chat_uid"], request.path_params["participant_uid"]
        )
        return JSONResponse(member)

    @answers_errors
    async def messages(request: Request) -> JSONResponse:
        account, _ = account_of(request)
        uid = request.path_params["chat_uid"]
        if request.method == "GET":
            limit = _query_int(request, "limit", default=20, low=1, high=MAX_PAGE)
            starting_after = request.query_params.get("starting_after") or None
            page, has_more = world.list_messages(account, uid, limit, starting_after)
            return JSONResponse(_list(page, f"/v1/chats/{uid}/messages", has_more))
        data = await read_json_object(request)
        body = required_str(data, "body", max_len=MAX_MESSAGE_CHARS)
        sent = world.send_message(account, uid, body)
        ctx.schedule_delivery(sent)
        return JSONResponse(sent.message, status_code=201)

    @answers_errors
    async def ws_ticket(request: Request) -> JSONResponse:
        account, token_digest = account_of(request)
        data = await read_json_object(request)
        chat_uid = optional_str(data, "chat_id", max_len=200)
        return JSONResponse(world.mint_ticket(account, token_digest, chat_uid))

    async def ws(websocket: WebSocket) -> None:
        ticket = world.use_ticket(websocket.query_params.get("ticket", ""))
        if ticket is None:
            # Closing before accepting refuses the handshake with HTTP 403.
            await websocket.close(code=1008)
            return
        await websocket.accept()
        if world.token_revoked(ticket.token_digest):
            await websocket.close(code=4401)
            return
        sock = ChatSocket(account_uid=ticket.account_uid, token_digest=ticket.token_digest, chat_uid=ticket.chat_uid)
        ctx.hub.chat_sockets.add(sock)
        try:
            await websocket.send_json({"type": "connected"})
            await serve_queue(websocket, sock.queue)
        except Exception:  # noqa: BLE001
            # The peer vanished before or while it was greeted: nothing left to serve.
            pass
        finally:
            ctx.hub.chat_sockets.discard(sock)

    return [
        Route("/v1/auth/activate", activate, methods=["POST"]),
        Route("/v1/auth/activate/redeem", redeem, methods=["POST"]),
        Route("/v1/lines", lines, methods=["GET"]),
        Route("/v1/chats", chats, methods=["GET", "POST"]),
        Route("/v1/chats/{chat_uid}", chat, methods=["GET", "DELETE"]),
        Route("/v1/chats/{chat_uid}/invitations/{participant_uid}/resend", resend, methods=["POST"]),
        Route("/v1/chats/{chat_uid}/messages", messages, methods=["GET", "POST"]),
        Route("/v1/ws/ticket", ws_ticket, methods=["POST"]),
        WebSocketRoute("/v1/ws", ws),
    ]


def _query_int(request: Request, key: str, *, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise WorldError(422, f"{key} must be an integer from {low} to {high}.") from None
    if not low <= value <= high:
        raise WorldError(422, f"{key} must be an integer from {low} to {high}.")
    return value


def _parse_participants(raw: Any) -> tuple[str, list[str]]:
    """Exactly one agent with a line and one or more named members (§4), or 422."""
    if not isinstance(raw, list) or not raw:
        raise WorldError(422, "participants must be a non-empty list.")
    agents: list[str] = []
    names: list[str] = []
    for item in raw:
        if not isinstance(item, dict):
            raise WorldError(422, "each participant must be an object.")
        kind = item.get("type")
        if kind == "agent":
            agents.append(required_str(item, "line_id", max_len=200))
        elif kind == "member":
            names.append(required_str(item, "display_name", max_len=255))
        else:
            raise WorldError(422, "participant type must be 'agent' or 'member'.")
    if len(agents) != 1:
        raise WorldError(422, "participants must include exactly one agent.")
    if not names:
        raise WorldError(422, "participants must include at least one member.")
    if len(names) > MAX_MEMBERS:
        raise WorldError(422, f"a chat has at most {MAX_MEMBERS} members.")
    return agents[0], names
