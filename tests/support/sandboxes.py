"""Sandboxes on loopback ports for a test, each with the settings it asks for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from plow_tui.sandbox import SandboxConfig, SandboxServer


@contextmanager
def sandboxes(**defaults: Any) -> Iterator[Callable[..., SandboxServer]]:
    """A starter of sandboxes (`make(**SandboxConfig settings)`, over `defaults`); all stop on exit."""
    started: list[SandboxServer] = []

    def make(**settings: Any) -> SandboxServer:
        server = SandboxServer(SandboxConfig(port=0, **{**defaults, **settings}))
        server.start()
        started.append(server)
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()
