"""Secret hygiene, whole app: after everything a person can do, no secret is anywhere but its store.

The sandbox mints the token and the activation secret; they are the canaries.
The test signs in with `plow-tui activate`, runs every subcommand (with
`--json` where it has one) and their error paths, drives the chat screens
(sending, receiving, a delivery with unknown outcome, a refused token), makes
the app write a crash report, then searches every byte the app wrote: stdout,
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


async def test_no_secret_outside_its_store(tmp_path: Path) -> None:
    outputs: list[str] = []
    dumps: list[str] = []
    log_path = configure_logging(level=logging.DEBUG)  # what the app and the commands do, at the chattiest level
    try:
        with SandboxServer(SandboxConfig(port=0, seed=99, delivery_delay_ms=10)) as sandbox:
            base = sandbox.base_url
            phone = new_phone()
            secret = activate(base, phone, outputs)
            token = stored()[base]
            assert token and secret and token != secret
            chats = plow(base, "chats", "--json")
            outputs += [chats.stdout, chats.stderr]
            chat = json.loads(chats.stdout)[0]
            chat_uid, number = chat["uid"], chat["number"]
            for args in (
                ("lines", "--json"), ("send", chat_uid, "hello there", "--json"), ("history", chat_uid, "--json"),
                ("history", chat_uid), ("chats",), ("doctor",), ("send", "cht_nope", "x", "--json"),
                ("history", "cht_nope", "--json"),
            ):  # fmt: skip
                result = plow(base, *args)
                outputs += [result.stdout, result.stderr]
            for status in (503, 429, 500):  # delivery unknown, rate limited, server error
                httpx.post(f"{base}/sandbox/faults", json={"fail_next": {"status": status, "count": 5}})
                for args in (("send", chat_uid, "x", "--json"), ("chats", "--json"), ("doctor",)):
                    result = plow(base, *args)
                    outputs += [result.stdout, result.stderr]
                httpx.post(f"{base}/sandbox/faults", json={"fail_next": {"status": 400, "count": 0}})
            tail_briefly(base, chat_uid, phone, number, outputs)
            await drive_the_app(base, token, phone, number, chat_uid, dumps)
            # A refused token: every command says so, and forgets it.
            for args in (("chats", "--json"), ("doctor",), ("logout",)):
                result = plow(base, *args)
                outputs += [result.stdout, result.stderr]
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_plow_tui_handler", False)]:
            root.removeHandler(handler)
            handler.close()

    home = Path(os.environ["HOME"])
    files = {path: path.read_bytes() for path in home.rglob("*") if path.is_file()}
    assert log_path in files and any(p.name.startswith("crash-") for p in files)  # the search covers them
    everything = [("output", o.encode()) for o in outputs] + [("screen", d.encode()) for d in dumps]
    everything += [(str(p), data) for p, data in files.items() if p != secrets_file()]
    assert any(b"hello there" in data for _, data in everything)  # the outputs are real
    for canary in (token, secret):
        leaks = [where for where, data in everything if canary.encode() in data]
        assert not leaks, f"a secret leaked into {leaks}"
    tickets = [where for where, data in everything if TICKET.search(data)]
    assert not tickets, f"a WebSocket ticket or URL leaked into {tickets}"


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
