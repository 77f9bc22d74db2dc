"""The 0600 secrets file under stress: racing processes, damaged and loose files, a planted log symlink."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from plow_tui.client.secret_backends import FileStore
from plow_tui.logs import configure_logging
from support import PLOW_TUI

# One racing process: wait for the starting gun, then save or delete ten keys.
RACER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from plow_tui.client.secret_backends import FileStore

    path, go, role, name = sys.argv[1:]
    store = FileStore(Path(path))
    while not os.path.exists(go):
        time.sleep(0.001)
    for i in range(10):
        if role == "save":
            store.set(f"{name}-{i}#activation", "pending")
        else:
            store.delete(f"{name}-{i}")
    """
)


def test_twenty_processes_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    go = tmp_path / "go"
    FileStore(path).set("seed", "x")
    doomed = [f"logout{n}" for n in range(10)]
    for name in doomed:
        for i in range(10):
            FileStore(path).set(f"{name}-{i}", "a token to remove")
    savers = [f"activate{n}" for n in range(10)]
    processes = [
        subprocess.Popen([sys.executable, "-c", RACER, str(path), str(go), role, name])
        for role, names in (("save", savers), ("delete", doomed))
        for name in names
    ]
    go.touch()
    for process in processes:
        assert process.wait(timeout=120) == 0
    store = FileStore(path)
    kept = {f"{name}-{i}#activation" for name in savers for i in range(10)}
    removed = {f"{name}-{i}" for name in doomed for i in range(10)}
    assert all(store.get(key) == "pending" for key in kept)
    assert not any(store.get(key) for key in removed)
    assert store.get("seed") == "x"


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00junk\x81", b'{"http://127.0.0.1:8765": "tok_', b"", b'["a list"]'],
    ids=["binary", "truncated", "empty", "list"],
)
def test_a_damaged_file_is_moved_aside_never_overwritten(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "secrets.json"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    notices: list[str] = []
    store = FileStore(path, notice=notices.append)
    assert store.get("anything") is None
    store.set("fresh", "value")
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("secrets.json.damaged-")]
    assert len(aside) == 1 and aside[0].read_bytes() == content
    assert len(notices) == 1 and "damaged" in notices[0] and aside[0].name in notices[0]
    assert FileStore(path).get("fresh") == "value"


def test_logout_works_with_a_binary_secrets_file(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "plow-tui").mkdir(parents=True, mode=0o700)
    (config / "plow-tui" / "secrets.json").write_bytes(b"\x00\xff\xfe garbage \x81")
    os.chmod(config / "plow-tui" / "secrets.json", 0o600)
    env = {**os.environ, "XDG_CONFIG_HOME": str(config), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run(
        PLOW_TUI + ["logout", "--api-url", "http://127.0.0.1:9"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\n") == 1 and "damaged" in done.stderr and "Traceback" not in done.stderr
    assert "No stored token" in done.stdout


def test_a_file_readable_by_others_is_made_private_with_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text('{"key": "value"}')
    os.chmod(path, 0o644)
    notices: list[str] = []
    assert FileStore(path, notice=notices.append).get("key") == "value"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(notices) == 1 and "readable by other users" in notices[0]


def test_the_log_never_chmods_through_a_symlink(tmp_path: Path) -> None:
    elsewhere = tmp_path / "someone-elses-file"
    elsewhere.write_text("not yours\n")
    os.chmod(elsewhere, 0o644)
    log = tmp_path / "state" / "plow-tui.log"
    log.parent.mkdir(mode=0o700)
    log.symlink_to(elsewhere)
    with pytest.raises(OSError):
        configure_logging(log)
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o644
    assert elsewhere.read_text() == "not yours\n"
