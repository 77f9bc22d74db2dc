"""Shared fixtures: a clean, deterministic environment for every test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Colour and Textual dev settings change rendering; tokens from the
    # developer's shell must never leak into a test.
    for name in ("NO_COLOR", "TEXTUAL", "PLOW_TOKEN", "PLOW_API_URL"):
        monkeypatch.delenv(name, raising=False)
    # Keep every file the app writes inside the test's own directories.
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
