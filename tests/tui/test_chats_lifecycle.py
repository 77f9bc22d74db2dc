"""New chats (codes, live verification, resend), delete, recreate, older pages, drafts across restarts."""

from __future__ import annotations

import re
import stat

from app_fakes import sandbox_factory, screen_text, squash, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import (
    kept,
    chats_app,
    fail_chat,
    history,
    main_screen,
    new_phone,
    numbered_texts,
    open_chat,
    on_main_screen,
    opened_chat,
    pending_chat,
    shown_uids,
    sign_up,
    signed_in_chat,
    signed_up,
    sms,
)
from support.waits import nothing_more
from textual.strip import Strip

from plow_tui.client.http import PlowClient
from plow_tui.tui.screens.confirm import ConfirmScreen
from plow_tui.tui.plow.new_chat import NewChatScreen
from plow_tui.tui.widgets.chat_list import ChatList

CODE = re.compile(r"VERIFY-[A-Z0-9]{6}")


async def _new_chat(pilot, names: list[str]) -> None:
    app = pilot.app
    await pilot.press("ctrl+n")
    dialog = await wait_for(pilot, lambda: isinstance(app.screen, NewChatScreen) and app.screen, what="the dialog")
    await wait_for(pilot, lambda: not dialog.query_one("#create").disabled, what="the lines")
    for index, name in enumerate(names):
        if index:
            await pilot.press("ctrl+n")
        for char in name:
            await pilot.press(char)
    await pilot.press("enter")


async def test_new_chat_shows_codes_then_turns_active_as_members_verify(sandbox_factory) -> None:
    async with on_main_screen(await signed_up(sandbox_factory), size=(110, 32)) as s:
        base, app, pilot, screen = s.base, s.app, s.pilot, s.screen
        await _new_chat(pilot, ["Sarah", "Patrick"])
        pane = await wait_for(
            pilot, lambda: screen.open_uid and screen.pane(screen.open_uid), what="the new chat's pane"
        )
        chat = pane.chat
        assert chat.status == "pending"
        # The pane exists before a frame has laid it out: wait for its codes on screen.
        await wait_for(pilot, lambda: len(set(CODE.findall(squash(screen_text(app))))) == 2, what="both codes")
        text = squash(screen_text(app))
        codes = CODE.findall(text)
        assert "+1 (555) 000-0001" in text
        assert pane.query_one("#verify-qr").display

        sarah, patrick = new_phone(), new_phone()
        first, second = (codes[0], codes[1]) if text.index(codes[0]) < text.index(codes[1]) else (codes[1], codes[0])
        # Members are listed in order: Sarah's code first.
        assert await sms(base, sarah, chat.number, first) == "member_verified"
        await wait_for(pilot, lambda: "✓ Sarah verified" in squash(screen_text(app)), what="Sarah verified")
        assert screen.chat(chat.uid).status == "pending"
        assert await sms(base, patrick, chat.number, second) == "member_verified"
        await wait_for(pilot, lambda: pane.chat.status == "active", what="the chat active")
        assert not pane.query_one("VerificationPanel").display
        assert screen.query_one(ChatList).get_chat(chat.uid).status == "active"
        assert pane.compose_box.disabled_reason is None

        pane.compose_box.draft = "welcome both"
        pane.compose_box.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: [e.state for e in pane.conversation.entries] == ["delivered"], what="sent")


async def test_resend_gives_a_fresh_code_and_the_old_one_dies(sandbox_factory) -> None:
    async with on_main_screen(await signed_up(sandbox_factory), size=(110, 32)) as s:
        base, app, pilot, screen = s.base, s.app, s.pilot, s.screen
        await _new_chat(pilot, ["Sarah"])
        pane = await wait_for(pilot, lambda: screen.open_uid and screen.pane(screen.open_uid), what="the pane")
        [old] = CODE.findall(squash(screen_text(app)))
        pane.conversation.focus()
        await pilot.press("s")
        await wait_for(pilot, lambda: CODE.findall(squash(screen_text(app))) not in ([old], []), what="a new code")
        [fresh] = CODE.findall(squash(screen_text(app)))
        assert fresh != old
        sarah = new_phone()
        assert await sms(base, sarah, pane.chat.number, old) == "ignored"
        assert await sms(base, sarah, pane.chat.number, fresh) == "member_verified"
        await wait_for(pilot, lambda: pane.chat.status == "active", what="the chat active")


async def test_a_word_typed_outside_the_editor_does_not_delete_the_chat(sandbox_factory, monkeypatch) -> None:
    # "ready" typed with the messages focused: `d` asks, and the `y` typed right behind it must not answer.
    # How soon is "right behind" is the dialog's constant: long here, so a loaded machine can't make it late.
    monkeypatch.setattr(ConfirmScreen, "READ_TIME_S", 60.0)
    async with signed_in_chat(sandbox_factory) as s:
        s.pane.conversation.focus()
        await s.pilot.press("d")
        question = await wait_for(s.pilot, lambda: isinstance(s.app.screen, ConfirmScreen) and s.app.screen, what="the question")
        await s.pilot.press("y")
        await wait_for(s.pilot, lambda: "Press y again to delete" in squash(screen_text(s.app)), what="why y did nothing")
        assert s.app.screen is question and s.screen.query_one(ChatList).get_chat(s.chat.uid) is not None
        monkeypatch.setattr(ConfirmScreen, "READ_TIME_S", 0.0)  # read by now
        await s.pilot.press("y")
        await wait_for(
            s.pilot, lambda: s.screen.query_one(ChatList).get_chat(s.chat.uid) is None, what="the chat gone"
        )


async def test_delete_asks_first_then_removes_the_chat(sandbox_factory) -> None:
    async with signed_in_chat(sandbox_factory, keep_history=True) as s:
        s.pane.compose_box.draft = "never sent"
        await wait_for(s.pilot, lambda: kept(s.base, s.token)[0] == {s.chat.uid: "never sent"}, what="the draft saved")
        s.pane.conversation.focus()
        await s.pilot.press("d")
        await wait_for(s.pilot, lambda: isinstance(s.app.screen, ConfirmScreen), what="the question")
        await s.pilot.press("n")  # changed my mind
        await wait_for(s.pilot, lambda: not isinstance(s.app.screen, ConfirmScreen), what="the question gone")
        await nothing_more(s.pilot)  # a delete that should not happen
        assert s.screen.query_one(ChatList).get_chat(s.chat.uid) is not None
        await s.pilot.press("d")
        await wait_for(s.pilot, lambda: isinstance(s.app.screen, ConfirmScreen) and s.app.screen.ready, what="the question")
        await s.pilot.press("y")
        await wait_for(
            s.pilot, lambda: s.screen.query_one(ChatList).get_chat(s.chat.uid) is None, what="the chat gone"
        )
        assert s.screen.open_uid is None
        assert s.screen.query_one("#no-chat").display and not s.screen.query_one("#panes").display
        s.screen.history.writer.flush()
        assert kept(s.base, s.token) == ({}, {})  # its draft went with it
        async with PlowClient(s.base, s.token) as api:
            assert await api.chats() == []


async def test_failed_chat_shows_why_and_recreates_with_the_same_members(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    base = sandbox.base_url
    token, _ = await sign_up(base, new_phone())
    doomed = await pending_chat(base, token, ["Sarah", "Patrick"])
    app = await chats_app(base, token)
    async with app.run_test(size=(110, 32)) as pilot:
        screen = await main_screen(pilot)
        pane = await open_chat(pilot, screen, doomed.uid)
        await wait_for(pilot, lambda: screen.stream_live, what="the live stream")
        await fail_chat(base, doomed.uid, "code [b]expired[/b] [@click=app.quit]x[/]")  # shown literally
        await wait_for(pilot, lambda: pane.chat.status == "failed", what="the chat failed")
        why = "This chat failed: code [b]expired[/b] [@click=app.quit]x[/]."
        await wait_for(pilot, lambda: why in squash(screen_text(app)), what="why, literally")
        assert screen.query_one(ChatList).get_chat(doomed.uid).failure_reason.startswith("code [b]expired[/b]")

        pane.conversation.focus()
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.ready, what="the question")
        await pilot.press("y")
        await wait_for(
            pilot, lambda: screen.open_uid not in (None, doomed.uid), what="the recreated chat opened"
        )
        fresh = screen.chat(screen.open_uid)
        assert fresh.status == "pending"
        assert [m.display_name for m in fresh.members] == ["Sarah", "Patrick"]
        assert screen.query_one(ChatList).get_chat(doomed.uid) is None
        await wait_for(pilot, lambda: len(set(CODE.findall(squash(screen_text(app))))) == 2, what="the fresh codes")
        async with PlowClient(base, token) as api:
            assert [c.uid for c in await api.chats() if c.status == "pending"] == [fresh.uid]


def _visible_text(conversation) -> list[str]:
    width, height = conversation.size
    lines: list[Strip] = conversation.render_lines(conversation.region.reset_offset)
    return [strip.text for strip in lines[:height]]


async def test_older_pages_load_on_scroll_up_without_jumping(sandbox_factory) -> None:
    account = await signed_up(sandbox_factory)
    await numbered_texts(account, 130)
    async with opened_chat(account) as s:
        conversation = s.pane.conversation
        assert len(conversation.entries) == 50
        conversation.focus()
        await s.pilot.press("g")  # to the oldest loaded: the next page starts loading
        await wait_for(s.pilot, lambda: len(conversation.entries) == 100, what="the second page")
        await wait_for(
            s.pilot, lambda: any("message 080" in line for line in _visible_text(conversation)), what="the same place"
        )
        await s.pilot.press("up")  # stays steady while the cursor moves within the page
        await s.pilot.press("g")
        await wait_for(s.pilot, lambda: len(conversation.entries) == 130, what="the third page")
        await wait_for(
            s.pilot, lambda: any("message 030" in line for line in _visible_text(conversation)), what="the same place"
        )
        assert not s.pane.has_older
        assert shown_uids(s.pane) == [m.uid for m in await history(s.base, s.token, s.chat.uid)]


async def test_prepending_a_page_keeps_what_is_on_screen(sandbox_factory) -> None:
    account = await signed_up(sandbox_factory)
    await numbered_texts(account, 70)
    async with opened_chat(account) as s:
        conversation = s.pane.conversation
        await wait_for(s.pilot, lambda: conversation.size.height > 0 and conversation.max_scroll_y > 0, what="a laid-out pane")
        conversation.scroll_to(y=0, animate=False)  # the reader scrolls to the top
        await wait_for(s.pilot, lambda: conversation.scroll_y == 0, what="the top")
        before = _visible_text(conversation)
        await wait_for(s.pilot, lambda: len(conversation.entries) == 70, what="the older page")
        await s.pilot.pause()
        # The same messages on the same lines. Only the top line changes: the day's
        # separator now sits above the older page, and the message before shows there.
        after = _visible_text(conversation)
        assert after[1:] == before[1:] and "Today" in before[0] and "message" in after[0], (before, after)
        assert conversation.scroll_y > 0


async def test_draft_survives_a_restart_and_is_private(sandbox_factory) -> None:
    account = await signed_up(sandbox_factory)
    base, chat = account.base, account.chat
    async with opened_chat(account, keep_history=True) as first:
        first.pane.compose_box.focus()
        for char in "half a thought":
            await first.pilot.press("space" if char == " " else char)
        # Saved while the app runs (debounced), not only on a clean exit.
        await wait_for(first.pilot, lambda: kept(base, account.token)[0] == {chat.uid: "half a thought"}, what="the draft saved")
        path = first.screen.history.writer.store.path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    async with opened_chat(account, keep_history=True) as second:  # a new app: what it knows comes from the store
        assert second.pane.compose_box.draft == "half a thought"
        second.pane.compose_box.focus()
        await second.pilot.press("enter")
        await wait_for(second.pilot, lambda: len(second.pane.conversation.entries) == 1, what="the draft sent")
        await wait_for(second.pilot, lambda: kept(base, account.token) == ({}, {}), what="neither draft nor unsent left")
    assert [m.body for m in await history(base, account.token, chat.uid)] == ["half a thought"]


async def test_the_chats_panes_come_with_the_first_chat_opened() -> None:
    # Before the first frame the right side is only the note: a pane switcher
    # with nothing to switch was one more widget and a screen of lines to draw.
    from support.demo_data import chats_app
    from support.screenshots import main_screen, open_chat

    app = chats_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        note = screen.query_one("#no-chat")
        assert not screen.query("#panes") and note.display
        pane = await open_chat(pilot, screen, "cht_ada")
        assert pane.display and screen.query_one("#panes").display and not note.display
        await open_chat(pilot, screen, "cht_bob")
        assert not pane.display and screen.query_one("#panes").display and not note.display
        screen.open_chat("cht_ada")
        await wait_for(pilot, lambda: pane.display, what="Ada's pane again")
        assert not note.display
