"""Snapshots of the main screen and the new chat dialog, against `FakePlow` at a fixed time.

Each snapshot was looked at as a PNG before it was accepted.
"""

from __future__ import annotations

import time

import pytest
from app_fakes import wait_for
from chats_fakes import BOB, fake_message, snapshot_app

from plow_tui.client import events as ev
from plow_tui.tui.screens.chat_feed import ChatFeed
from plow_tui.tui.screens.chats import ChatsScreen
from plow_tui.tui.screens.new_chat import NewChatScreen


@pytest.fixture(autouse=True)
def _utc_local_time(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _main(pilot) -> ChatsScreen:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, ChatsScreen) and app.screen.chats_loaded, what="the chats")
    screen: ChatsScreen = app.screen
    await wait_for(pilot, lambda: screen.query_one("ChatList").get_chat("cht_ada").preview, what="previews")
    return screen


async def _open(pilot, screen: ChatsScreen, chat_uid: str):
    screen.open_chat(chat_uid, focus_editor=True)
    pane = await wait_for(pilot, lambda: screen.pane(chat_uid), what="the pane")
    await wait_for(pilot, lambda: pane.loaded, what="the messages")
    await pilot.pause()
    return pane


async def _busy_main_screen(pilot) -> None:
    """Ada open with every delivery state; two unread texts from Bob."""
    screen = await _main(pilot)
    pane = await _open(pilot, screen, "cht_ada")
    for text in ("unknown: did this go?", "on my way"):
        pane.compose_box.draft = text
        await pilot.press("enter")
    await wait_for(pilot, lambda: [e.state for e in pane.conversation.entries][-2:] == ["unknown", "sending"])
    arrivals = (
        fake_message("msg_b2", BOB, "landed!", 0.5, out=False),
        fake_message("msg_b3", BOB, "where are you?", 0.2, out=False),
    )
    # As the live stream would deliver them.
    screen.query_one(ChatFeed).post_message(ChatFeed.Event(ev.MessagesArrived(arrivals)))
    await wait_for(pilot, lambda: screen.query_one("ChatList").get_chat("cht_bob").unread == 2)
    await pilot.pause()


def test_main_screen_100x30(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(100, 30), run_before=_busy_main_screen)


def test_main_screen_80x24_sandbox(snap_compare) -> None:
    app = snapshot_app(api_url="http://127.0.0.1:8765", sandbox=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_busy_main_screen)


async def _failed_chat(pilot) -> None:
    screen = await _main(pilot)
    await _open(pilot, screen, "cht_old")
    screen.query_one("ChatList").focus()
    await pilot.pause()


def test_failed_chat(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(100, 30), run_before=_failed_chat)


async def _new_chat_dialog(pilot) -> None:
    await _main(pilot)
    await pilot.press("ctrl+n")
    dialog = await wait_for(pilot, lambda: isinstance(pilot.app.screen, NewChatScreen) and pilot.app.screen)
    await wait_for(pilot, lambda: not dialog.query_one("#create").disabled, what="the lines")
    for char in "Sarah":
        await pilot.press(char)
    await pilot.press("ctrl+n")
    for char in "Patrick":
        await pilot.press(char)
    await pilot.pause()


def test_new_chat_dialog(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(100, 30), run_before=_new_chat_dialog)


async def _pending_codes(pilot) -> None:
    await _new_chat_dialog(pilot)
    await pilot.press("enter")
    screen = pilot.app.screen
    await wait_for(pilot, lambda: isinstance(screen, ChatsScreen) and screen.open_uid == "cht_new", what="the chat")
    pane = await wait_for(pilot, lambda: screen.pane("cht_new"))
    await wait_for(pilot, lambda: pane.loaded)
    await pilot.pause()


def test_new_chat_pending_codes(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(110, 32), run_before=_pending_codes)


def test_new_chat_pending_codes_80x24(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=_pending_codes)


