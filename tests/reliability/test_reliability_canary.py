"""Secret hygiene, whole app: after everything a person can do, no secret is anywhere but its store.

The sandbox mints the token and the activation secret; they are the canaries.
Each test signs in with `plow-tui activate` and does one part of it all: runs
every subcommand (with `--json` where it has one), or their error paths and a
refused token, or drives the chat screens (sending, receiving, a delivery with
unknown outcome, a refused token) and makes the app write a crash report; then
it searches every byte the app wrote: stdout,
stderr, logs, screenshots and screen text, and every file under its config,
state, data and cache directories. Only the 0600 secrets file may hold them.
No WebSocket ticket (`wst_…`, `ticket=`) may appear anywhere at all.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_helpers import app_on, new_phone, screen_text, until
from support.waits import wait_until
from textual.command import CommandPalette

from plow_tui.client.secret_backends import FileStore

from plow_tui.client.tokens import TokenStore
from plow_tui.logs import configure_logging, write_crash_report
from plow_tui.paths import config_dir
from plow_tui.sandbox import SandboxConfig, SandboxServer
from plow_tui.tui.plow.activation import ActivationScreen
from plow_tui.tui.plow.chats import ChatsScreen
from plow_tui.tui.screens.help import KeysScreen

# The sandbox's tickets start `wst_`; a redacted URL keeps `ticket=[redacted]`, which is fine.
TICKET = re.compile(rb"wst_|ticket=(?!\[redacted\])")


def plow(base: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plow_tui", *args, "--api-url", base, "--insecure-storage"],
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def secrets_file() -> Path:
    return config_dir() / "secrets.json"


def stored() -> dict[str, str]:
    return json.loads(secrets_file().read_text()) if secrets_file().exists() else {}


def activate(base: str, phone: str, outputs: list[str]) -> str:
    """`plow-tui activate` in a subprocess, the phone texting the code; returns the pending secret seen in the store."""
    process = subprocess.Popen(
        [sys.executable, "-m", "plow_tui", "activate", "--api-url", base, "--insecure-storage", "--name", "Ada",
         "--interval", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Waiting for your text" in line:
            break
    text = "".join(lines)
    code = text.split("Plow Activate: ")[1].split()[0].strip("\"'.")
    number = next(word for word in text.replace("+1 ", "+1").split() if word.startswith("+1"))
    pending = [v for k, v in stored().items() if k.endswith("#activation")]
    assert pending, "the pending activation is not in the secret store"
    secret = json.loads(pending[0])["secret"]
    answer = httpx.post(f"{base}/sandbox/sms", json={"from": phone, "to": number.strip(".,"), "text": f"Plow Activate: {code}"})
    assert answer.json()["effect"] == "activated", (answer.text, text)
    out, err = process.communicate(timeout=30)
    outputs += [text, out, err]
    assert process.returncode == 0, (text, out, err)
    return secret


def tail_briefly(base: str, chat_uid: str, phone: str, number: str, outputs: list[str]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "plow_tui", "tail", chat_uid, "--json", "-n", "3", "--api-url", base, "--insecure-storage"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    printed: list[str] = []
    reader = threading.Thread(target=lambda: printed.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()

    def sockets() -> int:
        return httpx.get(f"{base}/sandbox/state").json()["sockets"]

    wait_until(lambda: sockets() >= 1, "tail to connect")
    dropped = httpx.post(f"{base}/sandbox/faults", json={"drop_sockets": True}).json()["dropped_sockets"]
    assert dropped == 1  # a reconnect follows, with a fresh ticket
    wait_until(lambda: sockets() >= 1, "tail to reconnect")
    httpx.post(f"{base}/sandbox/sms", json={"from": phone, "to": number, "text": "seen by tail"})
    # Live or by the reconnect's catch-up, the text reaches tail's output.
    wait_until(lambda: "seen by tail" in "".join(printed), "tail to print the text")
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    reader.join(timeout=60)
    out, err = "".join(printed), process.stderr.read()  # type: ignore[union-attr]
    outputs += [out, err]
    assert "seen by tail" in out


async def drive_the_app(base: str, token: str, phone: str, number: str, chat_uid: str, dumps: list[str]) -> None:
    """The chat screens: open, send, receive, an unknown delivery, a crash report, a refused token."""
    store = TokenStore([FileStore()], env={})
    app = app_on(base, store, notifications=False)

    def dump() -> None:
        dumps.append(app.export_screenshot())
        dumps.append(screen_text(app))
        dumps.extend(str(n.message) for n in app._notifications)
        dumps.extend(repr(s) for s in app.screen_stack)

    async with app.run_test(size=(110, 35)) as pilot, httpx.AsyncClient(base_url=base) as http:
        screen = await until(pilot, lambda: isinstance(app.screen, ChatsScreen) and app.screen, "the main screen")
        await until(pilot, lambda: screen.chats_loaded, "the chat list")
        screen.open_chat(chat_uid, focus_editor=True)
        pane = await until(pilot, lambda: screen.pane(chat_uid), "the pane")
        await until(pilot, lambda: pane.loaded and screen.stream_live, "the live stream")
        for char in "hello":
            await pilot.press(char)
        await pilot.press("enter")
        await until(pilot, lambda: any(e.state == "delivered" for e in pane.conversation.entries), "a delivery")
        await http.post("/sandbox/sms", json={"from": phone, "to": number, "text": "hi back"})
        await until(pilot, lambda: pane.conversation.entries[-1].body == "hi back", "the reply")
        dump()
        await http.post("/sandbox/faults", json={"drop_sockets": True})
        await http.post("/sandbox/faults", json={"fail_next": {"status": 503, "count": 1}})
        for char in "maybe":
            await pilot.press(char)
        await pilot.press("enter")
        await until(pilot, lambda: any(e.state in ("unknown", "failed") for e in pane.conversation.entries), "unknown")
        pane.conversation.focus()  # in the editor, `?` is a character
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, KeysScreen), "the keys")
        dump()
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "the keys closed")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        dump()
        await pilot.press("escape")
        # A crash whose message quotes secrets (as a careless exception might).
        crash = RuntimeError(f"boom Bearer {token} at {base.replace('http', 'ws')}/v1/ws?ticket=wst_CRASHTICKET123")
        text, path = write_crash_report(crash)
        dumps.append(text)
        assert path is not None and path.exists()
        # The token is revoked: the app signs out and offers activation again.
        await http.post("/sandbox/faults", json={"revoke_token": token})
        await until(pilot, lambda: isinstance(app.screen, ActivationScreen) and app.screen.pending, "a new code after the refusal")
        await pilot.pause()
        dump()


@pytest.fixture
def chatty_logs() -> Iterator[Path]:
    """Debug logging, what the app and the commands write at their chattiest level; the log file's path."""
    log_path = configure_logging(level=logging.DEBUG)
    yield log_path
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_plow_tui_handler", False)]:
        root.removeHandler(handler)
        handler.close()


@pytest.fixture
def signed_in() -> Iterator[SignedIn]:
    """A sandbox and an account made by `plow-tui activate`, with its one chat."""
    with SandboxServer(SandboxConfig(port=0, seed=99, delivery_delay_ms=10)) as sandbox:
        base, phone, outputs = sandbox.base_url, new_phone(), []
        secret = activate(base, phone, outputs)
        token = stored()[base]
        assert token and secret and token != secret
        chats = plow(base, "chats", "--json")
        outputs += [chats.stdout, chats.stderr]
        chat = json.loads(chats.stdout)[0]
        yield SignedIn(base, phone, token, secret, chat["uid"], chat["number"], outputs)


@dataclass
class SignedIn:
    base: str
    phone: str
    token: str
    secret: str
    chat_uid: str
    number: str
    outputs: list[str]  # every byte the commands printed
    dumps: list[str] = field(default_factory=list)  # every screen the app showed

    def run(self, *args: str) -> None:
        result = plow(self.base, *args)
        self.outputs += [result.stdout, result.stderr]

    def refuse_the_token(self) -> None:
        httpx.post(f"{self.base}/sandbox/faults", json={"revoke_token": self.token}).raise_for_status()

    def assert_no_secret_anywhere(self, log_path: Path, real: bytes) -> None:
        """Search every output, screen and file under HOME; `real` must be somewhere (the outputs are real)."""
        home = Path(os.environ["HOME"])
        files = {path: path.read_bytes() for path in home.rglob("*") if path.is_file()}
        assert log_path in files  # the search covers it
        everything = [("output", o.encode()) for o in self.outputs] + [("screen", d.encode()) for d in self.dumps]
        everything += [(str(p), data) for p, data in files.items() if p != secrets_file()]
        assert any(real in data for _, data in everything), real
        for canary in (self.token, self.secret):
            leaks = [where for where, data in everything if canary.encode() in data]
            assert not leaks, f"a secret leaked into {leaks}"
        tickets = [where for where, data in everything if TICKET.search(data)]
        assert not tickets, f"a WebSocket ticket or URL leaked into {tickets}"


# One account per test, each test a part of what a person can do (together over
# 20 s, so split, issue #13); each searches everything written by then.


def test_no_secret_in_what_the_commands_print_or_write(chatty_logs: Path, signed_in: SignedIn) -> None:
    s = signed_in
    for args in (
        ("lines", "--json"), ("send", s.chat_uid, "hello there", "--json"), ("history", s.chat_uid, "--json"),
        ("history", s.chat_uid), ("chats",), ("doctor",),
    ):  # fmt: skip
        s.run(*args)
    s.assert_no_secret_anywhere(chatty_logs, b"hello there")


def test_no_secret_in_what_tail_prints_across_a_reconnect(chatty_logs: Path, signed_in: SignedIn) -> None:
    s = signed_in
    tail_briefly(s.base, s.chat_uid, s.phone, s.number, s.outputs)
    s.assert_no_secret_anywhere(chatty_logs, b"seen by tail")


@pytest.mark.parametrize("status", [503, 429, 500], ids=["unknown-delivery", "rate-limited", "server-error"])
def test_no_secret_in_what_the_commands_print_on_server_errors(chatty_logs: Path, signed_in: SignedIn, status: int) -> None:
    s = signed_in
    httpx.post(f"{s.base}/sandbox/faults", json={"fail_next": {"status": status, "count": 5}})
    for args in (("send", s.chat_uid, "x", "--json"), ("chats", "--json"), ("doctor",)):
        s.run(*args)
    s.assert_no_secret_anywhere(chatty_logs, str(status).encode())


def test_no_secret_in_what_the_commands_print_when_refused(chatty_logs: Path, signed_in: SignedIn) -> None:
    s = signed_in
    s.run("send", "cht_nope", "x", "--json")
    s.run("history", "cht_nope", "--json")
    # A refused token: every command says so, and forgets it.
    s.refuse_the_token()
    for args in (("chats", "--json"), ("doctor",), ("logout",)):
        s.run(*args)
    s.assert_no_secret_anywhere(chatty_logs, b"cht_nope")


async def test_no_secret_on_the_app_screens_logs_or_crash_report(chatty_logs: Path, signed_in: SignedIn) -> None:
    s = signed_in
    await drive_the_app(s.base, s.token, s.phone, s.number, s.chat_uid, s.dumps)
    home = Path(os.environ["HOME"])
    assert any(p.name.startswith("crash-") for p in home.rglob("*"))  # the search covers it
    s.assert_no_secret_anywhere(chatty_logs, b"hi back")


def test_secrets_file_is_private_from_its_first_byte(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Created 0600 (not chmod-ed afterwards) inside a 0700 directory, even with a permissive umask."""
    import asyncio

    created: list[tuple[str, int, int]] = []
    real_open = os.open

    def spying_open(path: Any, flags: int, mode: int = 0o777, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            parent = Path(path).parent
            created.append((str(path), mode, stat.S_IMODE(parent.stat().st_mode) if parent.exists() else -1))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spying_open)
    old_umask = os.umask(0)
    try:
        store = TokenStore([FileStore(tmp_path / "cfg" / "plow-tui" / "secrets.json")], env={})
        asyncio.run(store.save_token("http://127.0.0.1:1", "tok_PRIVATE_0123456789"))
        asyncio.run(store.save_token("http://127.0.0.1:1", "tok_REPLACED_0123456789"))
    finally:
        os.umask(old_umask)
    path = tmp_path / "cfg" / "plow-tui" / "secrets.json"
    assert created and all(mode == 0o600 and parent == 0o700 for _, mode, parent in created), created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "tok_REPLACED" in path.read_text()
