"""Sandboxes on loopback ports, started per test with the settings it asks for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sandbox_helpers import Api
from support.sandboxes import sandboxes

from plow_tui.sandbox import SandboxServer


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes with settings of the test's choosing; all stop at the end."""
    with sandboxes(seed=11, delivery_delay_ms=30) as make:
        yield make


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
