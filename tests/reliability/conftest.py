"""Fixtures of the reliability tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.hostile_server import HostileServer


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    """A fake Plow server on a loopback port that misbehaves as the test tells it (tests/support/hostile_server.py)."""
    with HostileServer() as server:
        yield server
