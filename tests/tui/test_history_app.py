"""The app and its local store, against a real sandbox on loopback: restarts, offline starts, canary."""

from __future__ import annotations

import asyncio
import os
from datetime import timezone
from pathlib import Path
from typing import Any

from app_fakes import memory_store, sandbox_factory, screen_text, squash, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import fail_chat, history, main_screen, numbered_texts, pending_chat, signed_up, sms

from plow_tui.client.http import PlowClient
from plow_tui.client.phone import SandboxPhone
from plow_tui.store.location import Histories
from plow_tui.tui.app import AppConfig, PlowApp
from plow_tui.tui.plow.chats import ChatsScreen
from plow_tui.tui.widgets.chat_list import ChatList
from plow_tui.tui.widgets.status_bar import StatusBar

DEAD = "http://127.0.0.1:9"  # nothing listens here: the server is down


class CountingClient(PlowClient):
    """A real client that records each `messages()` request: (chat uid, limit, starting_after)."""

    requests: list[tuple[str, int, str | None]] = []

    async def messages(self, chat_uid: str, limit: int = 20, starting_after: str | None = None) -> Any:
        CountingClient.requests.append((chat_uid, limit, starting_after))
        return await super().messages(chat_uid, limit=limit, starting_after=starting_after)


async def history_app(
    base: str, token: str, histories: Histories, *, server: str | None = None, stream_options: dict[str, Any] | None = None
) -> PlowApp:
    """The real app signed in with `token`, keeping its history in `histories`; `server` overrides where requests go.

    `stream_options`: the live stream's (small catch-up caps, for instance).
    """
    store = memory_store()
    await store.save_token(base, token)
    target = server or base

    def client(_url: str, token: str | None = None) -> PlowClient:
        return CountingClient(target, token, max_retries=0, timeout=5.0)

    return PlowApp(
        AppConfig(api_url=base, name="Ada", sandbox=True, poll_interval=0.1),
        token_store=store,
        client_factory=client,
        phone_factory=SandboxPhone,
        tz=timezone.utc,
        cursor_blink=False,
        animation_level="none",
        histories=histories,
        stream_options=stream_options,
    )


async def painted(pilot: Any) -> ChatsScreen:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, ChatsScreen), what="the main screen")
    return app.screen


def bodies(screen: ChatsScreen, chat_uid: str) -> list[str]:
    pane = screen.pane(chat_uid)
    return [] if pane is None else [e.body for e in pane.conversation.entries]


async def test_a_restart_paints_the_last_session_offline_then_catches_up_without_refetching(
    sandbox_factory, tmp_path: Path
) -> None:
    account = await signed_up(sandbox_factory)
    await numbered_texts(account, 3)
    histories = Histories(account.base, root=tmp_path)
    chat_uid = account.chat.uid

    app = await history_app(account.base, account.token, histories)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        screen.open_chat(chat_uid)
        await wait_for(pilot, lambda: bodies(screen, chat_uid) == ["message 000", "message 001", "message 002"], what="3 texts")
        assert not screen.last_known  # nothing was stored before this run

    # The server is down: the chats and messages of the last session show all the same.
    offline = await history_app(account.base, account.token, histories, server=DEAD)
    async with offline.run_test(size=(100, 30)) as pilot:
        screen = await painted(pilot)
        assert screen.last_known and screen.query_one(ChatList).get_chat(chat_uid) is not None
        await wait_for(pilot, lambda: bodies(screen, chat_uid) == ["message 000", "message 001", "message 002"], what="the stored texts, reopened")
        await wait_for(pilot, lambda: "last known" in squash(screen_text(offline)), what="the last-known mark")

    # Back online, with a text that came while the app was closed: it is fetched, nothing else is.
    await sms(account.base, account.phone, account.chat.number, "while you were away")
    CountingClient.requests = []
    online = await history_app(account.base, account.token, histories)
    async with online.run_test(size=(100, 30)) as pilot:
        screen = await painted(pilot)
        await wait_for(pilot, lambda: bodies(screen, chat_uid)[-1:] == ["while you were away"], what="the new text")
        await wait_for(pilot, lambda: screen.stream_live, what="the live stream")
        await wait_for(pilot, lambda: not screen.query_one(StatusBar).last_known, what="the mark gone")
        assert bodies(screen, chat_uid) == ["message 000", "message 001", "message 002", "while you were away"]
    # The API pages only towards older messages, so catching up reads newest-first until
    # it meets the newest stored one (the stream's one request); no preview, no first page.
    mine = [r for r in CountingClient.requests if r[0] == chat_uid]
    assert [r for r in mine if r[2] is None and r[1] != 100] == [], f"re-downloaded: {mine}"
    assert len([r for r in mine if r[2] is None]) <= 1, mine


async def test_failed_chats_and_pending_codes_survive_a_restart(sandbox_factory, tmp_path: Path) -> None:
    account = await signed_up(sandbox_factory)
    histories = Histories(account.base, root=tmp_path)
    waiting = await pending_chat(account.base, account.token, ["Sarah"])
    doomed = await pending_chat(account.base, account.token, ["Patrick"])

    app = await history_app(account.base, account.token, histories)
    async with app.run_test(size=(110, 32)) as pilot:
        screen = await main_screen(pilot)
        screen.open_chat(waiting.uid)
        await wait_for(pilot, lambda: screen.stream_live, what="the live stream")
        screen.action_resend_code()  # codes only ever come in a create or resend answer
        await wait_for(pilot, lambda: "VERIFY-" in screen_text(app), what="Sarah's code")
        code = screen.book.codes[waiting.uid][waiting.members[0].uid].verification_code
        await fail_chat(account.base, doomed.uid, "carrier rejected")
        await wait_for(pilot, lambda: (screen.chat(doomed.uid) or waiting).status == "failed", what="the failure")

    again = await history_app(account.base, account.token, histories)
    async with again.run_test(size=(110, 32)) as pilot:
        screen = await main_screen(pilot)  # the server's list has no failed chats
        listed = screen.query_one(ChatList).get_chat(doomed.uid)
        assert listed is not None and listed.failure_reason == "carrier rejected"
        screen.open_chat(waiting.uid)
        await wait_for(pilot, lambda: code in screen_text(again), what="the stored code")
        screen.open_chat(doomed.uid)
        await wait_for(pilot, lambda: "carrier rejected" in squash(screen_text(again)), what="why it failed")
        assert screen.check_action("delete_chat", ()) and screen.check_action("recreate_chat", ())
        await pilot.press("d")
        await wait_for(pilot, lambda: again.screen is not screen and getattr(again.screen, "ready", False), what="the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.chat(doomed.uid) is None, what="the failed chat deleted")

    third = await history_app(account.base, account.token, histories)
    async with third.run_test(size=(110, 32)) as pilot:
        screen = await main_screen(pilot)
        assert screen.chat(doomed.uid) is None  # deleted stays deleted


def _files_with(root: Path, needle: bytes) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes())


async def test_a_canary_body_is_only_in_the_store_and_gone_after_logout_forget(sandbox_factory, monkeypatch) -> None:
    from plow_tui.cli import main

    account = await signed_up(sandbox_factory)
    histories = Histories(account.base)  # the real place, under the test's own XDG_STATE_HOME
    canary = "canary-body-5f1e7c2a"
    app = await history_app(account.base, account.token, histories)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        screen.open_chat(account.chat.uid)
        await wait_for(pilot, lambda: screen.stream_live, what="the live stream")
        await sms(account.base, account.phone, account.chat.number, f"the {canary} text")
        await wait_for(pilot, lambda: any(canary in b for b in bodies(screen, account.chat.uid)), what="the canary")
    home = Path(os.environ["HOME"])
    found = _files_with(home, canary.encode())
    assert found and all(p.parent == histories.location.directory and ".sqlite3" in p.name for p in found), found

    monkeypatch.setenv("PLOW_TOKEN", account.token)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    # In a thread: the command runs its own event loop, as from a shell.
    assert await asyncio.to_thread(main, ["logout", "--forget", "--api-url", account.base]) == 0
    assert _files_with(home, canary.encode()) == []


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_an_offline_start_goes_live_on_its_own_when_the_server_is_back(tmp_path: Path) -> None:
    from chats_helpers import new_phone, sign_up

    from plow_tui.sandbox import SandboxConfig, SandboxServer
    from plow_tui.tui.widgets.status_bar import Connection

    # One server, stopped and started again on the same port with the same world.
    config = SandboxConfig(port=_free_port(), seed=5, state_file=tmp_path / "world.json")
    server = SandboxServer(config)
    base = server.start()
    try:
        phone = new_phone()
        token, chat = await sign_up(base, phone)
        await sms(base, phone, chat.number, "before the outage")
        histories = Histories(base, root=tmp_path / "history")
        app = await history_app(base, token, histories)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await main_screen(pilot)
            screen.open_chat(chat.uid)
            await wait_for(pilot, lambda: bodies(screen, chat.uid) == ["before the outage"], what="the text")
    finally:
        server.stop()

    offline = await history_app(base, token, histories)
    async with offline.run_test(size=(100, 30)) as pilot:
        screen = await painted(pilot)
        await wait_for(pilot, lambda: bodies(screen, chat.uid) == ["before the outage"], what="the stored text")
        status = screen.query_one(StatusBar)
        await wait_for(pilot, lambda: status.connection is Connection.OFFLINE, what="offline, retrying")
        server = SandboxServer(config)
        server.start()
        try:
            await sms(base, phone, chat.number, "after the outage")
            await wait_for(pilot, lambda: screen.stream_live and not status.last_known, timeout=40, what="live again")
            await wait_for(
                pilot, lambda: bodies(screen, chat.uid) == ["before the outage", "after the outage"],
                timeout=20, what="caught up",
            )
        finally:
            server.stop()


async def test_a_large_stored_list_paints_its_top_before_reading_every_chat(tmp_path: Path, monkeypatch) -> None:
    from datetime import datetime, timedelta

    from plow_tui.client.models import ChatMessage, Chat, Member, Sender
    from plow_tui.store.history import HistoryStore

    token, account = "plw_" + "t" * 20, "15550001234"
    histories = Histories(DEAD, root=tmp_path)
    owner = Member(uid="cp_o", status="active", display_name="Ada", role="owner", provider_key="+" + account)
    t0 = datetime(2026, 11, 30, tzinfo=timezone.utc)
    shown = 16  # what a 30-line screen can show (rows of at least two lines, one cut): read before the first frame
    count = shown + 40
    with HistoryStore.open(histories.location.remember(token, account)) as store:
        store.save_chats(Chat(uid=f"cht_{n:03d}", status="active", display_name=f"Chat {n:03d}", members=(owner,), created_at=t0) for n in range(count))
        store.add_messages(
            ChatMessage(uid=f"msg_{n:03d}", chat_uid=f"cht_{n:03d}", direction="inbound", body=f"text {n}", status="received",
                        sender=Sender(type="member", uid="cp_x", display_name="Sarah"), created_at=t0 + timedelta(minutes=n))
            for n in range(count)
        )
        store.set_meta("open_chat", "cht_007")
    listed_when_all_read: list[list[str]] = []
    read_all = HistoryStore.chats

    def chats(self: HistoryStore) -> list[Chat]:
        listed_when_all_read.append(app.screen.query_one(ChatList).visible_uids)
        return read_all(self)

    monkeypatch.setattr(HistoryStore, "chats", chats)
    app = await history_app(DEAD, token, histories)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await painted(pilot)
        chat_list = screen.query_one(ChatList)
        await wait_for(pilot, lambda: len(chat_list.visible_uids) == count, what="every stored chat listed")
        # The top of the list was on screen before every chat was read, newest first.
        assert listed_when_all_read and listed_when_all_read[0] == [f"cht_{n:03d}" for n in reversed(range(count - shown, count))]
        assert chat_list.visible_uids == [f"cht_{n:03d}" for n in reversed(range(count))]
        assert screen.last_known
        await wait_for(pilot, lambda: screen.open_uid == "cht_007", what="the chat open last time, reopened")
