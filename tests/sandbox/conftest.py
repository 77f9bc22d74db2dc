"""Sandboxes on loopback ports, started per test with the settings it asks for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sandbox_helpers import Api

from plow_tui.sandbox import SandboxConfig, SandboxServer


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes with settings of the test's choosing; all stop at the end."""
    started: list[SandboxServer] = []

    def make(**settings: Any) -> SandboxServer:
        settings.setdefault("seed", 11)
        settings.setdefault("delivery_delay_ms", 30)
        server = SandboxServer(SandboxConfig(port=0, **settings))
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def api(make_sandbox: Callable[..., SandboxServer]) -> Iterator[Api]:
    client = Api(make_sandbox().base_url)  # type: ignore[arg-type]
    yield client
    client.http.close()


@pytest.fixture
def make_api(make_sandbox: Callable[..., SandboxServer]) -> Iterator[Callable[..., Api]]:
    clients: list[Api] = []

    def make(**settings: Any) -> Api:
        client = Api(make_sandbox(**settings).base_url)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.http.close()
