"""Crash safety: SIGKILL mid-activation, mid-write and mid-send loses nothing that was saved.

The app and the commands run as real processes (the app headless, through
Textual's test driver) with the 0600 file store, and are killed with SIGKILL
at the moments that matter. The next start must find the token, resume the
pending activation with the same code, and restore saved drafts.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_helpers import app_on, new_phone, sign_up, until

from plow_tui.client.secret_backends import FileStore

from plow_tui.client.tokens import TokenStore
from plow_tui.paths import config_dir
from plow_tui.sandbox import SandboxConfig, SandboxServer
from plow_tui.tui.app import PlowApp
from plow_tui.tui.plow.activation import ActivationScreen
from plow_tui.tui.plow.chats import ChatsScreen

# The app in a child process, headless; it prints what it reached, then waits to be killed.
APP_SCRIPT = """
import asyncio, sys
sys.path[:0] = [{helpers!r}, {tests!r}]
from reliability_helpers import app_on, kept, until
from plow_tui.client.tokens import TokenStore
from plow_tui.tui.plow.activation import ActivationScreen
from plow_tui.tui.plow.chats import ChatsScreen
from plow_tui.tui.widgets.compose import Compose

base, phase = sys.argv[1], sys.argv[2]

TOKEN = []

def saved(text):
    # whether text is the chat's draft in the account's store
    return text in kept(base, TOKEN[0])[0].values()

async def main():
    TOKEN.append(await TokenStore.default(force_file=True).get_token(base))
    app = app_on(base, TokenStore.default(force_file=True), keep_history=True, poll_interval=0.2)
    async with app.run_test(size=(100, 30)) as pilot:
        if phase == "activation":
            await until(pilot, lambda: isinstance(app.screen, ActivationScreen) and app.screen.pending)
            print("CODE", app.screen.pending.display_code, app.screen.pending.send_to, flush=True)
        else:
            await until(pilot, lambda: isinstance(app.screen, ChatsScreen) and app.screen.chats_loaded)
            screen = app.screen
            chat_uid = next(iter(screen.book.chats))
            screen.open_chat(chat_uid, focus_editor=True)
            await until(pilot, lambda: screen.pane(chat_uid) and screen.pane(chat_uid).loaded)
            pane = screen.pane(chat_uid)
            # Keys typed before the editor has focus go elsewhere ('eep' == 'keep').
            await until(pilot, lambda: isinstance(app.focused, Compose), "the editor focused")
            if not pane.compose_box.draft:  # the second start finds the first one's draft
                await pilot.press(*"keep")
            await until(pilot, lambda: saved("keep"), "the draft saved (after its debounce)")
            print("DRAFT SAVED", flush=True)
            await until(pilot, lambda: sys.stdin.readline())
            pane.compose_box.draft = ""
            await pilot.press(*"hello")
            await until(pilot, lambda: saved("hello"), "the new text saved as the draft too")
            await pilot.press("enter")  # then sent, and killed at once
            print("SENDING", flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


def start_app(tmp_path: Path, base: str, phase: str) -> subprocess.Popen[str]:
    script = tmp_path / "app_child.py"
    script.write_text(APP_SCRIPT.format(helpers=str(Path(__file__).parent), tests=str(Path(__file__).parent.parent)))
    return subprocess.Popen(
        [sys.executable, str(script), base, phase], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def read_until(process: subprocess.Popen[str], prefix: str) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(prefix):
            return line
    raise AssertionError(f"the child ended before {prefix!r}: {process.stderr.read() if process.stderr else ''}")


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def file_store() -> TokenStore:
    return TokenStore([FileStore()], env={})


def file_store_app(base: str) -> PlowApp:
    return app_on(base, file_store(), keep_history=True, poll_interval=0.2)


async def loaded_pane(pilot: Any, app: PlowApp, chat_uid: str) -> Any:
    """The restarted app's pane of `chat_uid`, opened and with its messages loaded."""
    screen = await until(pilot, lambda: isinstance(app.screen, ChatsScreen) and app.screen.chats_loaded and app.screen, "chats")
    screen.open_chat(chat_uid)
    pane = await until(pilot, lambda: screen.pane(chat_uid), "the pane")
    await until(pilot, lambda: pane.loaded, "the messages")
    return pane


@pytest.fixture
def sandbox() -> Any:
    with SandboxServer(SandboxConfig(port=0, seed=21, delivery_delay_ms=10)) as server:
        yield server


async def test_app_killed_mid_activation_resumes_the_same_code(sandbox: Any, tmp_path: Path) -> None:
    base = sandbox.base_url
    child = start_app(tmp_path, base, "activation")
    _, code, number = read_until(child, "CODE").split()
    kill(child)
    assert (await file_store().get_pending(base)).display_code == code  # type: ignore[union-attr]

    app = file_store_app(base)
    async with app.run_test(size=(100, 30)) as pilot, httpx.AsyncClient(base_url=base) as http:
        screen = await until(pilot, lambda: isinstance(app.screen, ActivationScreen) and app.screen.pending and app.screen, "a code")
        assert screen.pending.display_code == code  # resumed, not a new code
        answer = await http.post("/sandbox/sms", json={"from": new_phone(), "to": number, "text": f"Plow Activate: {code}"})
        assert answer.json()["effect"] == "activated"
        await until(pilot, lambda: isinstance(app.screen, ChatsScreen), "the chats")
    assert await file_store().get_token(base)
    assert await file_store().get_pending(base) is None


def test_command_killed_mid_activation_resumes_the_same_code(sandbox: Any) -> None:
    base = sandbox.base_url
    args = [sys.executable, "-m", "plow_tui", "activate", "--api-url", base, "--insecure-storage", "--interval", "0.2"]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting = read_until(first, "Waiting for your text")
    assert waiting
    kill(first)
    pending = asyncio.run(file_store().get_pending(base))
    assert pending is not None
    second = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    read_until(second, "Waiting for your text")
    httpx.post(f"{base}/sandbox/sms", json={"from": new_phone(), "to": pending.send_to, "text": pending.text})
    out, err = second.communicate(timeout=30)
    assert second.returncode == 0, err
    assert "Signed in" in out
    assert asyncio.run(file_store().get_token(base))


WRITER = """
import asyncio, itertools, sys
from datetime import datetime, timezone
from plow_tui.client.activation import PendingActivation
from plow_tui.client.secret_backends import FileStore
from plow_tui.client.tokens import TokenStore
store = TokenStore([FileStore()], env={{}})
async def main():
    for i in itertools.count():
        await store.save_token({base!r}, f"tok_{{i:08d}}_0123456789")
        if i % 3 == 0:
            await store.save_pending({base!r}, PendingActivation(f"act_{{i:08d}}_secret", "ABCDE", "+15550000001", "ln_1", datetime.now(timezone.utc)))
        if i == 5:
            print("WRITING", flush=True)
asyncio.run(main())
"""


def test_secret_store_survives_a_kill_mid_write(tmp_path: Path) -> None:
    """Killed at random moments while rewriting the file, the store always reads back a whole value."""
    rng = random.Random(8)
    base = "http://127.0.0.1:9"
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(base=base))
    seen: list[str] = []
    for _ in range(8):
        child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
        read_until(child, "WRITING")
        time.sleep(rng.uniform(0, 0.2))
        kill(child)
        store = file_store()
        token = asyncio.run(store.get_token(base))
        pending = asyncio.run(store.get_pending(base))
        assert token is not None and token.startswith("tok_") and token.endswith("_0123456789"), token
        assert pending is not None and pending.secret.startswith("act_")
        seen.append(token)
        assert json.loads((config_dir() / "secrets.json").read_text())  # whole JSON, never a torn write
    assert len(set(seen)) > 1  # the kills really landed at different points
    leftovers = [p.name for p in config_dir().iterdir() if p.name != "secrets.json"]
    assert len(leftovers) <= 8  # at most the temporary file of each killed write


async def test_app_killed_mid_send_keeps_token_and_saved_draft(sandbox: Any, tmp_path: Path) -> None:
    base = sandbox.base_url
    phone = new_phone()
    token, chat = await sign_up(base, phone)
    await file_store().save_token(base, token)
    child = start_app(tmp_path, base, "send")
    read_until(child, "DRAFT SAVED")
    kill(child)  # killed with a saved draft

    app = file_store_app(base)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await loaded_pane(pilot, app, chat.uid)
        assert pane.compose_box.draft == "keep"

    child = start_app(tmp_path, base, "send")
    read_until(child, "DRAFT SAVED")
    assert child.stdin is not None
    child.stdin.write("go\n")
    child.stdin.flush()
    read_until(child, "SENDING")
    kill(child)  # killed with a send in flight (or just answered)
    assert await file_store().get_token(base) == token
    app = file_store_app(base)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await loaded_pane(pilot, app, chat.uid)
        async with httpx.AsyncClient(base_url=base) as http:
            page = (await http.get(f"/v1/chats/{chat.uid}/messages", headers={"Authorization": f"Bearer {token}"})).json()
        server = [m["uid"] for m in reversed(page["data"])]
        sent = any(m["body"] == "hello" for m in page["data"])

        def shown() -> list[tuple[str, str | None]]:
            return [(e.uid if e.uid in server else e.body, e.state) for e in pane.conversation.entries]

        # Never silently lost, never twice: on the server and shown once, or shown
        # as not sent (checked against the history, then `✗`), or still the draft.
        if sent:
            await until(pilot, lambda: [uid for uid, _ in shown()] == server, "shown once")  # no phantom
        elif "hello" not in pane.compose_box.draft:
            await until(pilot, lambda: shown()[-1:] == [("hello", "failed")], "shown as not sent")
            assert [uid for uid, _ in shown()[:-1]] == server
