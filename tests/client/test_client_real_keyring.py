"""The real Secret Service keyring, headless: gnome-keyring under a private D-Bus session.

CI installs gnome-keyring and D-Bus (`.ci/run`), so there a missing tool fails
the test instead of skipping it. Three keyrings: an unlocked one (store, read
back, replace, delete through `TokenStore`); a locked one with no way to
prompt; and one that hangs (its daemon stopped with SIGSTOP). The last two
must fall back to the 0600 file within the store's timeout, never hang.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import require_tools

TOOLS = ("dbus-run-session", "gnome-keyring-daemon")
UNLOCK = "printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1"
LOCKED = "gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1"

PRELUDE = """
import asyncio, os, signal, time
from plow_tui.client.tokens import TokenStore

URL = "http://127.0.0.1:8765"

def secret_service_pid():
    # The daemon owning org.freedesktop.secrets on this private bus: ours, and only ours.
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus")
    with open_dbus_connection(bus="SESSION") as connection:
        call = new_method_call(bus, "GetConnectionUnixProcessID", "s", ("org.freedesktop.secrets",))
        return connection.send_and_get_reply(call).body[0]
"""

ROUND_TRIP = PRELUDE + """
from plow_tui.client.activation import PendingActivation
store = TokenStore.default(env={})
print(store.location)

async def main():
    await store.save_token(URL + "/v1", "tok-keyring-canary-123")
    print(await store.get_token(URL))
    await store.save_token(URL, "tok-keyring-replaced-456")
    print(await store.get_token(URL))
    # A fresh store (a new process would do the same) reads what the keyring holds.
    print(await TokenStore.default(env={}).get_token(URL))
    await store.forget_token(URL)
    print(await store.get_token(URL))
    print(store.location)

asyncio.run(main())
"""

LOCKED_KEYRING = PRELUDE + """
started = time.monotonic()
store = TokenStore.default(env={}, timeout=2)

async def main():
    await store.save_token(URL, "tok-locked-canary-123")
    print(await store.get_token(URL))

asyncio.run(main())
print(store.location)
print(time.monotonic() - started < 10)
"""

HUNG_KEYRING = PRELUDE + """
# 5 s: long enough for a working daemon to answer on a busy machine, short enough to wait out twice.
store = TokenStore.default(env={}, timeout=5)
print(store.location)  # found working...
daemon = secret_service_pid()
os.kill(daemon, signal.SIGSTOP)  # ...then it stops answering
started = time.monotonic()

async def main():
    await store.save_token(URL, "tok-hung-canary-123")
    print(await store.get_token(URL))

asyncio.run(main())
print(store.location)
print(time.monotonic() - started < 30)  # one timeout, not a hang
# A new start while it still hangs: the probe times out into the file too.
started = time.monotonic()
print(TokenStore.default(env={}, timeout=5).location)
print(time.monotonic() - started < 30)
os.kill(daemon, signal.SIGCONT)  # let it end with its bus
"""


def _run(tmp_path: Path, script: str, keyring_start: str) -> subprocess.CompletedProcess[str]:
    require_tools(*TOOLS, why="apt: dbus, gnome-keyring")
    (tmp_path / "script.py").write_text(script)
    shell = f'{keyring_start}; "{sys.executable}" script.py'
    return subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", shell], cwd=tmp_path, capture_output=True, text=True, timeout=90
    )


def _secrets_files() -> list[Path]:
    return list(Path.home().rglob("secrets.json"))


def test_secret_service_keyring_round_trip(tmp_path: Path) -> None:
    result = _run(tmp_path, ROUND_TRIP, UNLOCK)
    assert result.stdout.splitlines() == [
        "system keyring (SecretService)",
        "tok-keyring-canary-123",
        "tok-keyring-replaced-456",
        "tok-keyring-replaced-456",
        "None",
        "system keyring (SecretService)",
    ], result.stderr
    assert not _secrets_files()  # nothing fell back to the file


def test_locked_keyring_falls_back_to_the_file(tmp_path: Path) -> None:
    result = _run(tmp_path, LOCKED_KEYRING, LOCKED)
    lines = result.stdout.splitlines()
    assert lines[:1] == ["tok-locked-canary-123"], result.stderr
    assert lines[1].startswith("file ") and "secrets.json" in lines[1], lines
    assert lines[2] == "True", "it took too long"
    assert [p.name for p in _secrets_files()] == ["secrets.json"]


def test_hung_keyring_times_out_into_the_file(tmp_path: Path) -> None:
    result = _run(tmp_path, HUNG_KEYRING, UNLOCK)
    lines = result.stdout.splitlines()
    assert lines[:2] == ["system keyring (SecretService)", "tok-hung-canary-123"], result.stderr
    assert lines[2].startswith("file ") and "failed" in lines[2], lines  # says why it is not the keyring
    assert lines[3] == "True", "the save and read hung"
    assert lines[4].startswith("file "), lines
    assert lines[5] == "True", "the start-up probe hung"
    assert [p.name for p in _secrets_files()] == ["secrets.json"]
