"""The offline outbox: texts sent while the server is down wait (◷), survive a restart, and go out in order, once each.

One real sandbox, stopped and started again on the same port with the same
world (`state_file`), and the real app with its local store; nobody presses
anything once the server is back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from app_fakes import screen_text, squash, wait_for
from chats_helpers import history, new_phone, phone_texts, sign_up
from test_history_app import _free_port, bodies, history_app, main_screen, painted

from plow_tui.sandbox import SandboxConfig, SandboxServer
from plow_tui.store.location import Histories
from plow_tui.tui.widgets.status_bar import StatusBar


class Restartable:
    """One sandbox, stopped and started again on the same port with the same world (`state_file`)."""

    def __init__(self, tmp_path: Path, seed: int, **options: Any) -> None:
        self.config = SandboxConfig(port=_free_port(), seed=seed, state_file=tmp_path / "world.json", **options)
        self._server: SandboxServer | None = None

    def start(self) -> str:
        self._server = SandboxServer(self.config)
        return self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@contextmanager
def restartable(tmp_path: Path, seed: int, **options: Any) -> Iterator[tuple[Restartable, str]]:
    """A started `Restartable` and its base URL; stopped at the end whatever happened."""
    server = Restartable(tmp_path, seed, **options)
    base = server.start()
    try:
        yield server, base
    finally:
        server.stop()


# The live stream's backoff in the reconnect tests: ten minutes, so only the
# thing tested can bring it back in a test's time (up to 30 s in the product).
SLOW_BACKOFF = {"backoff_initial": 600.0, "backoff_max": 600.0}


def outbox_rows(histories: Histories, token: str) -> list[tuple[str, str]]:
    """(body, state) of every unsent text in the account's store, oldest first (read beside the app)."""
    account = histories.location.account_for(token)
    assert account is not None
    db = sqlite3.connect(f"file:{histories.location.path(account)}?mode=ro", uri=True)
    try:
        return db.execute("SELECT body, state FROM outbox ORDER BY id").fetchall()
    finally:
        db.close()


def states(screen, chat_uid: str) -> list[tuple[str, str | None]]:  # noqa: ANN001
    pane = screen.pane(chat_uid)
    return [] if pane is None else [(e.body, e.state) for e in pane.conversation.entries]


async def send(pilot, pane, text: str) -> None:  # noqa: ANN001
    pane.compose_box.draft = text
    pane.compose_box.focus()
    await wait_for(pilot, lambda: pane.compose_box.has_focus, what="the editor focused")
    await pilot.press("enter")


async def test_texts_sent_offline_wait_survive_a_restart_and_go_out_in_order_once_when_the_server_is_back(
    tmp_path: Path,
) -> None:
    with restartable(tmp_path, seed=7, delivery_delay_ms=10) as (server, base):
        phone = new_phone()
        token, chat = await sign_up(base, phone)
        histories = Histories(base, root=tmp_path / "history")
        app = await history_app(base, token, histories)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await main_screen(pilot)
            screen.open_chat(chat.uid)
            pane = await wait_for(pilot, lambda: screen.pane(chat.uid) and screen.pane(chat.uid).loaded and screen.pane(chat.uid), what="the chat")
            await wait_for(pilot, lambda: screen.stream_live, what="live")
            server.stop()
            for text in ("one", "two", "three"):
                await send(pilot, pane, text)
            await wait_for(
                pilot,
                lambda: states(screen, chat.uid) == [("one", "waiting"), ("two", "waiting"), ("three", "waiting")],
                timeout=30, what="all three waiting",
            )
            text = await wait_for(pilot, lambda: "Waiting to send" in (t := squash(screen_text(app))) and t, what="the notice")
            assert "◷" in text
            # The chat's row says so too: its newest text is waiting, not the last one the server has.
            await wait_for(pilot, lambda: "you: ◷ three" in squash(screen_text(app)), what="the row's preview")
            await wait_for(
                pilot, lambda: outbox_rows(histories, token) == [("one", "waiting"), ("two", "waiting"), ("three", "waiting")],
                what="kept in the store",
            )

        # Restarted while the server is still down: the texts are still waiting, from the store.
        again = await history_app(base, token, histories)
        async with again.run_test(size=(100, 30)) as pilot:
            screen = await painted(pilot)
            await wait_for(
                pilot,
                lambda: states(screen, chat.uid) == [("one", "waiting"), ("two", "waiting"), ("three", "waiting")],
                timeout=30, what="still waiting after the restart",
            )
            await wait_for(pilot, lambda: "you: ◷ three" in squash(screen_text(again)), what="the row's preview after the restart")
            server.start()
            await wait_for(pilot, lambda: screen.stream_live, timeout=60, what="live again")
            await wait_for(
                pilot,
                lambda: [s for _, s in states(screen, chat.uid)] == ["delivered"] * 3,
                timeout=30, what="all three sent on their own",
            )
            on_server = await history(base, token, chat.uid)
            assert [m.body for m in on_server] == ["one", "two", "three"]  # in order, once each
            assert [e.uid for e in screen.pane(chat.uid).conversation.entries] == [m.uid for m in on_server]
            assert bodies(screen, chat.uid) == ["one", "two", "three"]
            await wait_for(pilot, lambda: "you: three" in squash(screen_text(again)), what="the row's preview, sent")
            assert "◷" not in squash(screen_text(again))
            assert [t for t in await phone_texts(base, phone) if t in ("one", "two", "three")] == ["one", "two", "three"]
            await wait_for(pilot, lambda: outbox_rows(histories, token) == [], what="the outbox emptied in the store")


@asynccontextmanager
async def slow_backoff_app(tmp_path: Path, seed: int) -> AsyncIterator[tuple[Restartable, Any, Any, Any]]:
    """A restartable sandbox, and the app signed in to it whose live stream backs off ten minutes:
    (the sandbox, the pilot, the main screen, the account's chat)."""
    with restartable(tmp_path, seed=seed) as (server, base):
        token, chat = await sign_up(base, new_phone())
        app = await history_app(base, token, Histories(base, root=tmp_path / "history"), stream_options=SLOW_BACKOFF)
        async with app.run_test(size=(100, 30)) as pilot:
            yield server, pilot, await main_screen(pilot), chat


async def test_a_text_that_gets_through_ends_the_live_connections_wait_to_retry(tmp_path: Path) -> None:
    async with slow_backoff_app(tmp_path, seed=9) as (server, pilot, screen, chat):
        screen.open_chat(chat.uid)
        pane = await wait_for(pilot, lambda: screen.pane(chat.uid) and screen.pane(chat.uid).loaded and screen.pane(chat.uid), what="the chat")
        await wait_for(pilot, lambda: screen.stream_live, what="live")
        server.stop()
        await wait_for(pilot, lambda: not screen.stream_live, timeout=30, what="the drop seen")
        server.start()
        await send(pilot, pane, "back?")
        await wait_for(pilot, lambda: states(screen, chat.uid)[-1:] == [("back?", "delivered")], timeout=30, what="sent")
        await wait_for(pilot, lambda: screen.stream_live, timeout=30, what="live again without the ten minutes")


async def test_ctrl_r_reconnects_now_instead_of_waiting_out_the_retry(tmp_path: Path) -> None:
    async with slow_backoff_app(tmp_path, seed=11) as (server, pilot, screen, _):
        await wait_for(pilot, lambda: screen.stream_live, what="live")
        server.stop()
        bar = screen.query_one(StatusBar)
        await wait_for(pilot, lambda: bar.retry_in is not None and bar.retry_in > 60, timeout=30, what="the long wait said")
        server.start()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen.stream_live, timeout=30, what="live again at once")
