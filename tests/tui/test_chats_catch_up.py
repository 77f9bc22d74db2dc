"""The main screen tells the reader when a catch-up skipped older messages."""

from __future__ import annotations

from app_fakes import sandbox_factory, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import chats_app, main_screen, new_phone, sign_up

from plow_tui.client import events as ev
from plow_tui.tui.plow.chat_feed import ChatFeed


async def test_a_skipped_catch_up_is_shown_as_a_notice(sandbox_factory) -> None:
    base = sandbox_factory().base_url
    token, chat = await sign_up(base, new_phone())
    app = await chats_app(base, token)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        screen.query_one(ChatFeed).post_message(ChatFeed.Event(ev.MessagesSkipped(chat.uid)))
        await wait_for(
            pilot,
            # A toast wraps on screen: read it from the app's notifications.
            lambda: any("older messages were not loaded" in note.message for note in app._notifications),
            what="the skipped-messages notice",
        )
