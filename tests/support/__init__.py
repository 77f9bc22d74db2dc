"""Helpers shared by test directories (importable as `support`: pytest puts `tests/` on sys.path)."""

from __future__ import annotations

import os
import shutil
import sys

import pytest


def require_tools(*names: str, why: str) -> None:
    """Skip the test when a command-line tool is missing, or fail it under `CI`.

    CI installs every tool the tests use (`.ci/run`), so there a missing one is
    a broken setup to notice, not a test to pass over quietly. `why` says what
    provides them, e.g. "apt: tmux".
    """
    missing = [name for name in names if shutil.which(name) is None]
    if not missing:
        return
    message = f"needs {', '.join(missing)} ({why})"
    if os.environ.get("CI"):
        pytest.fail(f"CI installs it, but it is missing: {message}")
    pytest.skip(message)


# `plow-tui` as a subprocess, with this interpreter (no PATH lookup).
PLOW_TUI = [sys.executable, "-m", "plow_tui"]
