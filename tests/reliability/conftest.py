"""Fixtures of the reliability tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.rogue_server import RogueServer


@pytest.fixture
def hostile() -> Iterator[RogueServer]:
    """A fake Plow server on a loopback port that misbehaves as the test tells it (tests/support/rogue_server.py)."""
    with RogueServer() as server:
        yield server
