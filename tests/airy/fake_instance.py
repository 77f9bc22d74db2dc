"""A scripted Airy instance for stream tests: mocked HTTP and a raw STOMP socket on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from websockets.asyncio.server import serve

from plow_tui.client.airy.http import AiryClient


def _http(request: httpx.Request) -> httpx.Response:
    # Authenticating finds an empty conversation; any other call (resume token) gets a fixed token.
    if request.url.path == "/chatplugin.authenticate":
        return httpx.Response(200, json={"token": "auth-token-1234", "messages": []})
    return httpx.Response(200, json={"resume_token": "resume-token-1234"})


@asynccontextmanager
async def fake_airy_instance(socket_handler: Callable[[Any], Awaitable[None]]) -> AsyncIterator[AiryClient]:
    """A client of an instance whose WebSocket is `socket_handler` (which speaks STOMP frames itself)."""
    async with serve(socket_handler, "127.0.0.1", 0, subprotocols=["v12.stomp"]) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        async with AiryClient(f"http://127.0.0.1:{port}", transport=httpx.MockTransport(_http)) as client:
            yield client
