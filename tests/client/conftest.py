"""A fresh sandbox on a loopback port for each test that asks for one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def sandbox() -> Iterator[object]:
    from plow_tui.sandbox import SandboxConfig, SandboxServer

    with SandboxServer(SandboxConfig(port=0, seed=7, delivery_delay_ms=20)) as server:
        yield server
