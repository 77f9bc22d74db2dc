"""The sandbox's Starlette app: `/v1` (Plow), `/sandbox` (phones and faults), `/openapi.json`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from plow_tui.sandbox import persistence
from plow_tui.sandbox.clock import SandboxClock
from plow_tui.sandbox.config import SandboxConfig
from plow_tui.sandbox.context import SandboxContext
from plow_tui.sandbox.middleware import GuardMiddleware
from plow_tui.sandbox.openapi import openapi_document
from plow_tui.sandbox.routes_sandbox import sandbox_routes
from plow_tui.sandbox.routes_v1 import v1_routes
from plow_tui.sandbox.world import World

log = logging.getLogger(__name__)

# How often the state file is brought up to date while the world changes.
SAVE_INTERVAL_S = 0.25


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _crash(request: Request, exc: Exception) -> Response:
    # Never expected; still a JSON body rather than a bare text page.
    return JSONResponse({"detail": "Internal sandbox error."}, status_code=500)


def create_app(config: SandboxConfig, *, clock: Callable[[], float] = time.time) -> Starlette:
    """Build the sandbox app; restores the world from `config.state_file` when it exists.

    `clock` is the source of time; `/sandbox/clock` moves the sandbox's own
    clock (every deadline, Plow's and Airy's) forward from it.
    """
    sandbox_clock = SandboxClock(clock)
    world = World(config, clock=sandbox_clock)
    if config.state_file is not None:
        saved = persistence.load(config.state_file)
        if saved is not None:
            persistence.restore(world, saved)
    ctx = SandboxContext(config=config, world=world, clock=sandbox_clock)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(openapi_document())

    routes: list[BaseRoute] = [
        Route("/openapi.json", openapi, methods=["GET"]),
        *v1_routes(ctx),
        *sandbox_routes(ctx),
        *_airy_routes(config, sandbox_clock),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        saver = asyncio.create_task(_keep_saved(ctx)) if config.state_file is not None else None
        try:
            yield
        finally:
            ctx.cancel_timers()
            if saver is not None:
                saver.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await saver
                _save(ctx)

    app = Starlette(
        routes=routes,
        middleware=[Middleware(GuardMiddleware, world=world, max_body_bytes=config.max_body_bytes)],
        exception_handlers={HTTPException: _http_error, Exception: _crash},
        lifespan=lifespan,
    )
    # No 307 from `/v1/chats/` to `/v1/chats`: a client that built a path with an
    # empty id gets a plain JSON 404 rather than a redirect to another resource.
    app.router.redirect_slashes = False
    app.state.sandbox = ctx
    return app


def _airy_routes(config: SandboxConfig, clock: Callable[[], float]) -> list[BaseRoute]:
    # The Airy Chat Plugin API (AIRY.md) on the same port; its state is in memory only.
    from plow_tui.sandbox.airy import AiryConfig, AiryService

    airy = AiryConfig(
        channel_id=config.airy_channel,
        auth_token_ttl=config.airy_auth_token_ttl,
        resume_token_ttl=config.airy_resume_token_ttl,
        clock=clock,
    )
    return AiryService(airy).routes


async def _keep_saved(ctx: SandboxContext) -> None:
    saved_revision = -1
    while True:
        if ctx.world.revision != saved_revision:
            saved_revision = ctx.world.revision
            _save(ctx)
        await asyncio.sleep(SAVE_INTERVAL_S)


def _save(ctx: SandboxContext) -> None:
    assert ctx.config.state_file is not None
    try:
        persistence.save(ctx.config.state_file, persistence.snapshot(ctx.world))
    except OSError as exc:
        # A full disk must not take the server down; say so and keep serving.
        log.warning("could not save sandbox state to %s: %s", ctx.config.state_file, exc.strerror)
