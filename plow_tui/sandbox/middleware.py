"""ASGI guards in front of every sandbox route: body size limit, injected failures, clients that leave."""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plow_tui.sandbox.world import World


class _BodyTooLarge(Exception):
    pass


class GuardMiddleware:
    """Answers 413 for oversized bodies, plays `fail_next` on `/v1` HTTP requests, lets clients leave.

    A client that hangs up before its body has arrived (a timeout, Ctrl+C, a
    benchmark ending) is normal: there is nobody left to answer and nothing to
    log, so its `ClientDisconnect` ends the request quietly instead of reaching
    Starlette's error handler, which logs a traceback.

    Pure ASGI (not BaseHTTPMiddleware) so WebSockets pass straight through and
    the WebSocket upgrade is never counted as a failed request.
    """

    def __init__(self, app: ASGIApp, world: World, max_body_bytes: int) -> None:
        self.app = app
        self.world = world
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/v1" or path.startswith("/v1/"):
            status = self.world.take_injected_failure()
            if status is not None:
                headers = {"Retry-After": "1"} if status in (429, 503) else None
                response = JSONResponse(
                    {"detail": f"Sandbox fault: this request was made to fail with HTTP {status}."},
                    status_code=status,
                    headers=headers,
                )
                await response(scope, receive, send)
                return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            # Chunked bodies carry no length up front: count as they arrive.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except ClientDisconnect:
            return
        except _BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"Request body too large (the limit is {self.max_body_bytes} bytes)."}, status_code=413
        )
        await response(scope, receive, send)
