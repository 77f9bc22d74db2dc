"""The real Secret Service keyring, headless: gnome-keyring under a private D-Bus session."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import asyncio
from plow_tui.client.tokens import TokenStore

store = TokenStore.default(env={})
print(store.location)

async def main():
    await store.save_token("http://127.0.0.1:8765/v1", "tok-keyring-canary-123")
    print(await store.get_token("http://127.0.0.1:8765"))
    await store.forget_token("http://127.0.0.1:8765")
    print(await store.get_token("http://127.0.0.1:8765"))

asyncio.run(main())
"""


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (apt: dbus, gnome-keyring)",
)
def test_secret_service_keyring_round_trip(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(SCRIPT)
    shell = (
        'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; '
        f'"{sys.executable}" script.py'
    )
    result = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", shell], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.splitlines() == [
        "system keyring (SecretService)",
        "tok-keyring-canary-123",
        "None",
    ], result.stderr
    # Nothing fell back to the file.
    assert not list(Path.home().rglob("secrets.json"))
