"""The client, the stream and the commands against a server that misbehaves on purpose.

Every test here talks to `RogueServer` (tests/support/rogue_server.py) over real
loopback sockets: looping history, dripping and silent answers, huge and
garbled bodies, impossible timestamps, redirects to another origin, a
handshake cut in the middle. The client must stay bounded in time and
memory, say what it could not do, and never follow a redirect elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import threading
import time
from contextlib import aclosing
from typing import Any

import pytest

from plow_tui.client.errors import DeliveryUnknown, NetworkError, ServerUnavailable
from plow_tui.client.events import ConnectionChanged, MessagesArrived, MessagesSkipped
from plow_tui.client.http import PlowClient
from plow_tui.client.stream import CATCH_UP_MESSAGES, CATCH_UP_PAGES, ChatStream
from plow_tui.commands import ExitCode
from support import PLOW_TUI
from support.rogue_server import (
    TICKET,
    RogueServer,
    drip,
    history,
    huge,
    looping_pages,
    message,
    raw,
    redirect,
    reply,
    sequence,
    silent,
    websocket,
)

CHAT = "cht_ROGUEchat0000000000001"
MESSAGES = f"/v1/chats/{CHAT}/messages"
TOKEN = "tok_HOSTILE_CANARY_0123456789"


def client(server: RogueServer, **options: Any) -> PlowClient:
    return PlowClient(server.base_url, TOKEN, **options)


def stream(api: PlowClient, **options: Any) -> ChatStream:
    # Short pauses: reconnecting is what these tests watch.
    return ChatStream(api, CHAT, backoff_initial=0.05, backoff_max=0.2, ping_interval=None, **options)


async def until_live(events: Any, timeout: float = 30.0) -> list[Any]:
    """Every event up to and including the first `live` (fails after `timeout` s)."""
    seen: list[Any] = []

    async def read() -> None:
        async for event in events:
            seen.append(event)
            if isinstance(event, ConnectionChanged) and event.state == "live":
                return

    await asyncio.wait_for(read(), timeout)
    return seen


def run_cli(args: list[str], server: RogueServer, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLOW_TOKEN": TOKEN, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return subprocess.run(
        PLOW_TUI + [*args, "--api-url", server.base_url], env=env, capture_output=True, text=True, timeout=timeout
    )


# -- item 4: a looping server ---------------------------------------------------------------


async def test_an_endless_history_caps_the_catch_up_and_goes_live(hostile: RogueServer) -> None:
    hostile.plow(CHAT).route("GET", MESSAGES, looping_pages(CHAT, fresh=True))
    async with client(hostile) as api:
        live = stream(api, last_uid="msg_the_one_we_hold")
        async with aclosing(live.events()) as events:
            seen = await until_live(events)
    skipped = [e for e in seen if isinstance(e, MessagesSkipped)]
    delivered = [m for e in seen if isinstance(e, MessagesArrived) for m in e.messages]
    assert [event.chat_uid for event in skipped] == [CHAT] and skipped[0].oldest_kept == delivered[0].uid
    assert 0 < len(delivered) <= CATCH_UP_MESSAGES
    assert hostile.count("GET", MESSAGES) <= CATCH_UP_PAGES


async def test_a_cursor_that_never_advances_ends_the_walk(hostile: RogueServer) -> None:
    hostile.plow(CHAT).route("GET", MESSAGES, looping_pages(CHAT, fresh=False, size=3))
    async with client(hostile) as api:
        walked = await asyncio.wait_for(_drain(api.history(CHAT)), 20)
        live = stream(api, last_uid="msg_the_one_we_hold")
        async with aclosing(live.events()) as events:
            seen = await until_live(events)
    assert [m.uid for m in walked] == ["msg_same0000", "msg_same0001", "msg_same0002"]
    assert any(isinstance(event, MessagesSkipped) and event.chat_uid == CHAT for event in seen)


def test_history_prints_each_message_once_when_the_cursor_sticks(hostile: RogueServer) -> None:
    hostile.plow(CHAT).route("GET", MESSAGES, looping_pages(CHAT, fresh=False, size=3))
    done = run_cli(["history", CHAT, "--limit", "50", "--json"], hostile)
    assert done.returncode == 0, done.stderr
    assert [m["uid"] for m in json.loads(done.stdout)] == ["msg_same0002", "msg_same0001", "msg_same0000"]


# -- item 5: deadlines -----------------------------------------------------------------------


async def test_a_dripping_answer_hits_the_request_deadline(hostile: RogueServer) -> None:
    # Each byte comes well within the per-read timeout (1 s); the whole body would take 20 s.
    hostile.route("GET", "/v1/chats", drip(b'{"data": []}' + b" " * 28, every=0.5))
    async with client(hostile, timeout=1.0, deadline=2.0, budget=3.0) as api:
        started = time.monotonic()
        with pytest.raises(NetworkError, match="did not answer in time"):
            await api.chats()
    assert time.monotonic() - started < 3.0 + 2.0  # the budget, plus slack for a busy machine


async def test_a_silent_server_costs_the_read_budget_not_every_retry(hostile: RogueServer) -> None:
    hostile.route("GET", "/v1/chats", silent())
    async with client(hostile, timeout=1.0, deadline=2.0, budget=2.5, max_retries=3) as api:
        started = time.monotonic()
        with pytest.raises(NetworkError):
            await api.chats()
    # Four tries of 1 s plus pauses would be more than 4 s.
    assert time.monotonic() - started < 2.5 + 1.0
    assert hostile.count("GET", "/v1/chats") <= 3


async def test_a_huge_answer_is_refused_without_being_read(hostile: RogueServer) -> None:
    hostile.route("GET", "/v1/chats", huge(40 * 1024 * 1024))
    async with client(hostile) as api:
        with pytest.raises(ServerUnavailable, match="larger than"):
            await api.chats()


# -- item 10: a send answered 2xx with garbage -------------------------------------------------


async def test_a_garbled_answer_to_a_send_may_have_been_sent(hostile: RogueServer) -> None:
    hostile.route("POST", MESSAGES, raw(b"<html>OK</html>", 201, "text/html"))
    async with client(hostile) as api:
        with pytest.raises(DeliveryUnknown, match="may have been sent"):
            await api.send_message(CHAT, "hello")


def test_send_says_may_have_been_sent_with_its_own_exit_code(hostile: RogueServer) -> None:
    hostile.route("POST", MESSAGES, raw(b"{not json", 200))
    done = run_cli(["send", CHAT, "hello"], hostile)
    assert done.returncode == ExitCode.MAYBE_SENT, done.stderr
    assert "may have been sent" in done.stderr and "Traceback" not in done.stderr


# -- item 12: impossible timestamps, a handshake cut short -----------------------------------------


def test_history_survives_a_timestamp_at_the_end_of_time(hostile: RogueServer) -> None:
    far = message(CHAT, "msg_far", "from the far future", created_at="9999-12-31T23:59:59-23:59")
    hostile.plow(CHAT).route("GET", MESSAGES, history([far]))
    done = run_cli(["history", CHAT], hostile)
    assert done.returncode == 0, done.stderr
    assert "from the far future" in done.stdout and "????-??-??" in done.stdout


async def test_a_handshake_cut_mid_ticket_reconnects(hostile: RogueServer) -> None:
    # An 8 MB ticket makes the handshake request too big to send at once; the
    # server reads a little of it and hangs up (ConnectionClosedError in websockets).
    hostile.plow(CHAT)
    hostile.route("POST", "/v1/ws/ticket", sequence(reply({"ticket": "x" * 8_000_000}), reply({"ticket": TICKET})))
    hostile.route("GET", MESSAGES, history([]))
    async with client(hostile) as api:
        live = stream(api, last_uid="")
        async with aclosing(live.events()) as events:
            seen = await until_live(events)
    assert [e.state for e in seen if isinstance(e, ConnectionChanged)][-1] == "live"
    assert hostile.count("POST", "/v1/ws/ticket") == 2


# -- item 13: redirects to another origin ------------------------------------------------------------


async def test_the_socket_never_follows_a_redirect_to_another_origin(hostile: RogueServer) -> None:
    with RogueServer() as elsewhere:
        elsewhere.route("GET", "/v1/ws", websocket())
        target = elsewhere.base_url.replace("http://", "ws://") + f"/v1/ws?ticket={TICKET}"
        hostile.plow(CHAT).route("GET", "/v1/ws", redirect(target)).route("GET", MESSAGES, history([]))
        states: list[ConnectionChanged] = []

        async def watch(events: Any) -> None:
            # Until the stream tries again (refused), or goes live (followed).
            async for event in events:
                if isinstance(event, ConnectionChanged):
                    states.append(event)
                    if event.state == "live" or hostile.count("GET", "/v1/ws") >= 2:
                        return

        async with client(hostile) as api:
            live = stream(api, last_uid="")
            async with aclosing(live.events()) as events:
                await asyncio.wait_for(watch(events), 30)
        assert not elsewhere.requests
        assert all(e.state != "live" for e in states)
        assert any("redirected" in (e.reason or "") for e in states)


def test_doctor_does_not_report_a_redirected_socket_as_connected(hostile: RogueServer) -> None:
    with RogueServer() as elsewhere:
        elsewhere.route("GET", "/v1/ws", websocket())
        target = elsewhere.base_url.replace("http://", "ws://") + f"/v1/ws?ticket={TICKET}"
        hostile.plow(CHAT).route("GET", "/v1/ws", redirect(target))
        done = run_cli(["doctor"], hostile)
        assert not elsewhere.requests
    socket_line = next(line for line in done.stdout.splitlines() if "WebSocket" in line)
    assert socket_line.startswith("FAIL") and "redirected" in socket_line, done.stdout
    assert TICKET not in done.stdout + done.stderr


# -- item 14: tail after a reconnect when the newest uid is missing from the REST history ----------------


def test_tail_does_not_repeat_old_messages_when_the_anchor_is_missing(hostile: RogueServer) -> None:
    old = [
        message(CHAT, f"msg_{i}", f"old {i}", created_at=f"2026-09-14T12:0{i}:00Z") for i in range(5, 0, -1)
    ]  # newest first
    live_only = message(CHAT, "msg_6", "live only", created_at="2026-09-14T12:06:00Z")
    after = message(CHAT, "msg_7", "after the reconnect", created_at="2026-09-14T12:07:00Z")
    hostile.plow(CHAT).route("GET", MESSAGES, history(old))  # msg_6 never shows up here
    hostile.route(
        "GET",
        "/v1/ws",
        sequence(
            websocket({"type": "connected"}, {"type": "message_received", "message": live_only}, hold=False),
            websocket({"type": "connected"}, {"type": "message_received", "message": after}),
        ),
    )
    env = {**os.environ, "PLOW_TOKEN": TOKEN, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    process = subprocess.Popen(
        PLOW_TUI + ["tail", CHAT, "-n", "3", "--json", "--api-url", hostile.base_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(json.loads(line)["message"]["body"])
            if lines[-1] == "after the reconnect":
                break
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert lines == ["old 3", "old 4", "old 5", "live only", "after the reconnect"]


async def _drain(walk: Any) -> list[Any]:
    return [m async for m in walk]


def test_plain_http_to_another_host_is_warned_about_and_doctor_says_warn(tmp_path: Any) -> None:
    # 0.0.0.0 is not loopback (so it is warned about) yet refuses at once here.
    env = {**os.environ, "PLOW_TOKEN": TOKEN, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    chats = subprocess.run(PLOW_TUI + ["chats", "--api-url", "http://0.0.0.0:9"], env=env, capture_output=True, text=True, timeout=60)
    assert chats.stderr.startswith("plow-tui: warning: ") and "plain http" in chats.stderr
    doctor = subprocess.run(PLOW_TUI + ["doctor", "--api-url", "http://0.0.0.0:9"], env=env, capture_output=True, text=True, timeout=60)
    assert "warn  encryption: " in doctor.stdout and "plain http" in doctor.stdout


def test_tail_says_older_messages_were_skipped_and_goes_live(hostile: RogueServer) -> None:
    # The sentinel waits in the socket while the catch-up runs: printed last, once live.
    sentinel = message(CHAT, "msg_sentinel", "live at last", created_at="2030-01-01T00:00:00Z")
    # Short pages: the page cap ends this catch-up (600 messages), quickly.
    hostile.plow(CHAT).route("GET", MESSAGES, looping_pages(CHAT, fresh=True, size=5))
    hostile.route("GET", "/v1/ws", websocket({"type": "connected"}, {"type": "message_received", "message": sentinel}))
    env = {**os.environ, "PLOW_TOKEN": TOKEN, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    process = subprocess.Popen(
        PLOW_TUI + ["tail", CHAT, "--json", "--api-url", hostile.base_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    printed = 0
    try:
        while True:
            body = json.loads(lines.get(timeout=60))["message"]["body"]  # queue.Empty: never went live
            printed += 1
            if body == "live at last":
                break
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert printed <= 5 * CATCH_UP_PAGES + 1
    assert "older messages were skipped" in err
    assert hostile.count("GET", MESSAGES) <= 1 + CATCH_UP_PAGES
