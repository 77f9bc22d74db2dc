"""Killed mid-send, the app loses no text and sends none twice.

The app runs as a real process against the sandbox through a loopback TCP
relay that can hold a text being sent (`POST …/messages`): either before it
reaches the sandbox, or after, with the answer held back. The app is then
killed with SIGKILL while the text shows `…`, and started again on the same
state directory: a text that never arrived comes back `✗` and `r` sends it
once; one that did arrive is shown once and is not offered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_helpers import app_on, kept, new_phone, sign_up, until

from plow_tui.client.secret_backends import FileStore

from plow_tui.client.tokens import TokenStore
from plow_tui.sandbox import SandboxConfig, SandboxServer
from plow_tui.tui.plow.chats import ChatsScreen

# The app in a child process, headless: it sends "hello" in the chat, then waits to be killed.
CHILD = """
import asyncio, sys
sys.path[:0] = [{helpers!r}, {tests!r}]
from reliability_helpers import app_on, until
from plow_tui.client.tokens import TokenStore
from plow_tui.tui.plow.chats import ChatsScreen

base, chat_uid = sys.argv[1], sys.argv[2]

async def main():
    app = app_on(base, TokenStore.default(force_file=True), keep_history=True, poll_interval=0.2)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await until(pilot, lambda: isinstance(app.screen, ChatsScreen) and app.screen.chats_loaded and app.screen)
        screen.open_chat(chat_uid, focus_editor=True)
        pane = await until(pilot, lambda: screen.pane(chat_uid) and screen.pane(chat_uid).loaded and screen.pane(chat_uid))
        await until(pilot, lambda: screen.stream_live and pane.compose_box.has_focus)
        await pilot.press(*"hello")
        await pilot.press("enter")
        print("SENT", flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


class HoldingRelay:
    """A loopback TCP relay to the sandbox that can hold the next text being sent.

    `hold = "request"`: the `POST …/messages` never reaches the sandbox;
    `hold = "answer"`: it does, but no answer comes back. `held` is set when
    one was held. With `hold = None` everything passes.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = httpx.URL(upstream)
        self.hold: str | None = None
        self.held = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.base_url = ""

    async def __aenter__(self) -> HoldingRelay:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.base_url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        up_reader, up_writer = await asyncio.open_connection(self.upstream.host, self.upstream.port)
        answers = asyncio.Event()
        answers.set()

        async def upstream() -> None:
            while data := await reader.read(65536):
                if self.hold and data.startswith(b"POST ") and b"/messages " in data.split(b"\r\n", 1)[0]:
                    self.held.set()
                    if self.hold == "request":
                        return  # swallowed: the sandbox never hears of it
                    answers.clear()
                up_writer.write(data)
                await up_writer.drain()

        async def downstream() -> None:
            while data := await up_reader.read(65536):
                await answers.wait()
                writer.write(data)
                await writer.drain()

        try:
            await asyncio.gather(upstream(), downstream())
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.close()
            self._tasks.discard(task)


@pytest.fixture
def sandbox() -> Any:
    with SandboxServer(SandboxConfig(port=0, seed=23, delivery_delay_ms=10)) as server:
        yield server


def file_store() -> TokenStore:
    return TokenStore([FileStore()], env={})


def saved_unsent(base: str, token: str, chat_uid: str) -> list[tuple[str, str]]:
    """(body, state) of the chat's unsent texts in the account's store."""
    return kept(base, token)[1].get(chat_uid, [])


async def server_bodies(sandbox_base: str, token: str, chat_uid: str) -> list[str]:
    async with httpx.AsyncClient(base_url=sandbox_base) as http:
        page = (await http.get(f"/v1/chats/{chat_uid}/messages", headers={"Authorization": f"Bearer {token}"})).json()
    return [m["body"] for m in reversed(page["data"])]


async def killed_while_sending(tmp_path: Path, relay: HoldingRelay, chat_uid: str, hold: str) -> None:
    """Run the app in a child process, hold its send as `hold` says, and SIGKILL it while the text shows `…`."""
    script = tmp_path / "app_child.py"
    script.write_text(CHILD.format(helpers=str(Path(__file__).parent), tests=str(Path(__file__).parent.parent)))
    relay.hold = hold
    child = subprocess.Popen(
        [sys.executable, str(script), relay.base_url, chat_uid], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        for _ in range(1200):  # the child starts, signs in, opens the chat and sends: generous on a busy machine
            if relay.held.is_set() or child.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert relay.held.is_set(), f"the child never sent: {child.poll()} {child.stderr.read() if child.poll() is not None else ''}"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    relay.hold = None


async def open_loaded(pilot: Any, chat_uid: str) -> Any:
    app = pilot.app
    screen = await until(pilot, lambda: isinstance(app.screen, ChatsScreen) and app.screen.chats_loaded and app.screen, "chats")
    screen.open_chat(chat_uid)
    pane = await until(pilot, lambda: screen.pane(chat_uid), "the pane")
    await until(pilot, lambda: pane.loaded, "the messages")
    return pane


async def test_killed_before_the_text_reached_the_server_it_comes_back_and_r_sends_it_once(
    sandbox: Any, tmp_path: Path
) -> None:
    token, chat = await sign_up(sandbox.base_url, new_phone())
    async with HoldingRelay(sandbox.base_url) as relay:
        await file_store().save_token(relay.base_url, token)
        await killed_while_sending(tmp_path, relay, chat.uid, hold="request")
        # On disk before it went out: the kill cannot have come first.
        assert saved_unsent(relay.base_url, token, chat.uid) == [("hello", "sending")]
        assert await server_bodies(sandbox.base_url, token, chat.uid) == []

        app = app_on(relay.base_url, file_store(), keep_history=True, poll_interval=0.2)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_loaded(pilot, chat.uid)
            # Checked against the history first: not there, so `✗`, never resent by itself.
            [entry] = await until(
                pilot, lambda: [e for e in pane.conversation.entries if e.state == "failed"], "the text checked"
            )
            assert entry.body == "hello"
            assert await server_bodies(sandbox.base_url, token, chat.uid) == []
            pane.conversation.focus()
            pane.conversation.select(entry.uid)
            await pilot.press("r")
            await until(pilot, lambda: [e.state for e in pane.conversation.entries] == ["delivered"], "delivered")
            assert await server_bodies(sandbox.base_url, token, chat.uid) == ["hello"]
            await until(pilot, lambda: saved_unsent(relay.base_url, token, chat.uid) == [], "forgotten on disk")


async def test_killed_after_the_text_reached_the_server_it_is_shown_once_and_not_offered_again(
    sandbox: Any, tmp_path: Path
) -> None:
    token, chat = await sign_up(sandbox.base_url, new_phone())
    async with HoldingRelay(sandbox.base_url) as relay:
        await file_store().save_token(relay.base_url, token)
        await killed_while_sending(tmp_path, relay, chat.uid, hold="answer")
        for _ in range(400):  # the held request is on its way to the sandbox
            if await server_bodies(sandbox.base_url, token, chat.uid):
                break
            await asyncio.sleep(0.05)
        assert await server_bodies(sandbox.base_url, token, chat.uid) == ["hello"]
        assert saved_unsent(relay.base_url, token, chat.uid) == [("hello", "sending")]

        app = app_on(relay.base_url, file_store(), keep_history=True, poll_interval=0.2)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_loaded(pilot, chat.uid)
            await until(pilot, lambda: saved_unsent(relay.base_url, token, chat.uid) == [], "found on the server and forgotten")
            assert [(e.body, e.outbound) for e in pane.conversation.entries] == [("hello", True)]
            assert not pane.conversation.entries[0].uid.startswith("local-")
            assert pane.outbox.unsent == ()
        assert await server_bodies(sandbox.base_url, token, chat.uid) == ["hello"]
