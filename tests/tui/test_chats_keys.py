"""Keys and smaller behaviours of the main screen: focus cycle, filter, long texts, bell, sign out."""

from __future__ import annotations

import asyncio

from support.waits import nothing_more, workers_idle
from app_fakes import sandbox_factory, screen_text, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import (
    chat_with_myself,
    chats_app,
    history,
    main_screen,
    new_phone,
    on_main_screen,
    open_chat,
    sign_up,
    signed_in_chat,
    signed_up,
    sms,
)

from plow_tui.client.texts import MAX_BODY
from plow_tui.tui.plow.activation import ActivationScreen
from plow_tui.tui.widgets.chat_list import ChatList
from plow_tui.tui.widgets.compose import Compose
from plow_tui.tui.widgets.conversation import Conversation


async def test_tab_cycles_list_messages_editor_and_slash_filters(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    base = sandbox.base_url
    phone = new_phone()
    token, first = await sign_up(base, phone, name="Ada")
    second = await chat_with_myself(base, token, phone, first)
    app = await chats_app(base, token)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await main_screen(pilot)
        chat_list = screen.query_one(ChatList)
        await wait_for(pilot, lambda: len(chat_list.visible_uids) == 2)
        await sms(base, phone, second.number, "the blue one")
        await wait_for(pilot, lambda: chat_list.get_chat(second.uid).preview == "the blue one")
        await open_chat(pilot, screen, first.uid)
        await workers_idle(pilot)  # whatever opening the chat focuses has been focused
        chat_list.focus()
        # Focus moves after a refresh, and opening the chat focused the editor: under load that could land last.
        await wait_for(pilot, lambda: app.focused is chat_list, what="the chat list focused")
        await pilot.press("tab")
        await wait_for(pilot, lambda: isinstance(app.focused, Conversation), what="the messages focused")
        await pilot.press("tab")
        await wait_for(pilot, lambda: isinstance(app.focused, Compose), what="the editor focused")
        await pilot.press("shift+tab", "shift+tab")
        await wait_for(pilot, lambda: app.focused is chat_list, what="the list focused again")

        await pilot.press("slash")
        for char in "blue":
            await pilot.press(char)
        assert chat_list.visible_uids == [second.uid]  # matches the preview
        await pilot.press("enter")  # back to the list, still filtered
        assert app.focused is chat_list
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.open_uid == second.uid, what="the filtered chat opened")
        chat_list.focus()
        await pilot.press("escape")  # no filter box open: nothing happens
        screen.action_filter()
        await pilot.press("escape")
        assert len(chat_list.visible_uids) == 2


async def test_a_long_text_goes_as_several_messages_with_a_notice(sandbox_factory) -> None:
    words = " ".join(f"word{n:05d}" for n in range(1000))  # 9,999 characters
    async with signed_in_chat(sandbox_factory, delivery_delay_ms=5) as s:
        s.pane.compose_box.draft = words
        s.pane.compose_box.focus()
        await s.pilot.press("enter")
        # A toast (it wraps on screen, so read it from the app's notifications). It comes
        # from a message the pane posts, which a loaded machine may handle after the key.
        await wait_for(
            s.pilot, lambda: any("as 3 messages" in note.message for note in s.app._notifications), what="the notice"
        )
        await wait_for(
            s.pilot,
            lambda: [e.state for e in s.pane.conversation.entries] == ["delivered"] * 3,
            what="three messages",
        )
    bodies = [m.body for m in await history(s.base, s.token, s.chat.uid)]
    assert all(len(body) <= MAX_BODY for body in bodies)
    assert " ".join(bodies) == words


async def test_the_shell_and_the_app_split_one_text_the_same(sandbox_factory) -> None:
    from support.cli import run_here

    # Paragraphs, a line break near the limit and a space after it: the cut must be at the break.
    paragraph = "x" * 3500 + "\n" + "y " * 300 + "\n\n" + " ".join(f"w{n:04d}" for n in range(900))
    async with signed_in_chat(sandbox_factory, delivery_delay_ms=5) as s:
        s.pane.compose_box.draft = paragraph
        s.pane.compose_box.focus()
        await s.pilot.press("enter")
        await wait_for(
            s.pilot, lambda: len(s.pane.conversation.entries) >= 3 and all(e.state == "delivered" for e in s.pane.conversation.entries),
            what="the app's parts delivered",
        )
        from_app = [m.body for m in await history(s.base, s.token, s.chat.uid)]
        sent = await asyncio.to_thread(
            run_here, ["send", s.chat.uid, "-", "--api-url", s.base], {"PLOW_TOKEN": s.token}, paragraph
        )
        assert sent.returncode == 0, sent.stderr
        bodies = [m.body for m in await history(s.base, s.token, s.chat.uid)]
    from_shell = bodies[len(from_app):]
    assert from_shell == from_app and len(from_app) == 3
    assert from_app[0] == "x" * 3500  # cut at the line break, not at a later space


async def test_the_parts_of_a_long_text_reach_the_server_in_order_even_when_one_is_slow(sandbox_factory) -> None:
    words = " ".join(f"word{n:05d}" for n in range(1000))  # 9,999 characters: three parts
    async with signed_in_chat(sandbox_factory) as s:
        api = s.app.screen.api
        real_send = api.send_message
        calls = 0

        async def first_one_slow(chat_uid: str, body: str):
            nonlocal calls
            calls += 1
            if calls == 1:
                await asyncio.sleep(0.3)  # a slow answer from the network, not a wait in the test
            return await real_send(chat_uid, body)

        api.send_message = first_one_slow  # type: ignore[method-assign]
        s.pane.compose_box.draft = words
        s.pane.compose_box.focus()
        await s.pilot.press("enter")
        await wait_for(
            s.pilot,
            lambda: [e.state for e in s.pane.conversation.entries] == ["delivered"] * 3,
            what="three messages",
        )
    bodies = [m.body for m in await history(s.base, s.token, s.chat.uid)]
    assert " ".join(bodies) == words


async def test_bell_rings_for_inbound_only_when_the_terminal_is_not_focused(sandbox_factory) -> None:
    account = await signed_up(sandbox_factory)
    base, phone, token, chat = account.base, account.phone, account.token, account.chat
    rings: list[str] = []
    for notifications in (True, False):
        app = await chats_app(base, token, notifications=notifications)
        app.bell = lambda app=app: rings.append(f"notifications={app.config.notifications}")  # type: ignore[method-assign]
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await main_screen(pilot)
            pane = await open_chat(pilot, screen, chat.uid)
            await wait_for(pilot, lambda: screen.stream_live, what="the live stream")
            count = len(pane.conversation.entries)
            await sms(base, phone, chat.number, "while you look")
            await wait_for(pilot, lambda: len(pane.conversation.entries) == count + 1)
            app.app_focus = False  # the terminal lost focus
            await sms(base, phone, chat.number, "while you are away")
            await wait_for(pilot, lambda: len(pane.conversation.entries) == count + 2)
            if notifications:
                await wait_for(pilot, lambda: rings, what="the bell")
            else:
                await nothing_more(pilot)  # a bell that should not ring
    assert rings == ["notifications=True"]


async def test_palette_offers_the_open_chat_actions_and_sign_out(sandbox_factory) -> None:
    async with on_main_screen(await signed_up(sandbox_factory)) as s:
        titles = [command.title.partition("  ")[0] for command in s.app.get_system_commands(s.screen)]
        for title in ("New chat", "Next unread", "Filter chats", "Reload chats", "Sign out"):
            assert title in titles
        assert "Delete chat" not in titles  # no chat open
        pane = await open_chat(s.pilot, s.screen, s.chat.uid)
        await sms(s.base, s.phone, s.chat.number, "see https://example.com")
        await wait_for(s.pilot, lambda: len(pane.conversation.entries) == 1)
        pane.conversation.select(pane.conversation.entries[0].uid)
        pane.compose_box.focus()  # the palette offers actions whatever has focus
        titles = [command.title.partition("  ")[0] for command in s.app.get_system_commands(s.screen)]
        for title in ("Delete chat", "Copy message", "Open link"):
            assert title in titles
        assert "Recreate chat" not in titles and "Resend codes" not in titles
        [sign_out] = [c for c in s.app.get_system_commands(s.screen) if c.title.partition("  ")[0] == "Sign out"]
        sign_out.callback()
        await wait_for(s.pilot, lambda: isinstance(s.app.screen, ActivationScreen), what="the activation screen")
        assert await s.app.token_store.get_token(s.base) is None
        assert s.token not in screen_text(s.app)
