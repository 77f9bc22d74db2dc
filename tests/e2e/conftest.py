"""A newcomer for the terminal tests: a fresh home and `plow-tui sandbox` running beside it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.terminal_app import Sandbox, clean_env


@pytest.fixture
def newcomer(tmp_path: Path) -> Iterator[tuple[Sandbox, dict[str, str], Path]]:
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(home)
    sandbox = Sandbox(env)
    try:
        yield sandbox, env, home
    finally:
        sandbox.stop()
