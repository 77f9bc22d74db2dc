"""The main screen against a real sandbox: sending, receiving, drops, failures, history."""

from __future__ import annotations

import time

from app_fakes import memory_store, sandbox_factory, screen_text, squash, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import (
    chat_with_myself,
    kept,
    ChatSession,
    chats_app,
    fault,
    history,
    main_screen,
    new_phone,
    open_chat,
    opened_chat,
    pending_chat,
    phone_texts,
    shown_uids,
    sign_up,
    signed_in_chat,
    signed_up,
    sms,
)

from support.waits import WAIT, nothing_more, workers_idle

from plow_tui.client.errors import ValidationFailed
from plow_tui.client.http import PlowClient
from plow_tui.tui.widgets.chat_list import ChatList
from plow_tui.tui.widgets.compose import Compose


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def test_open_send_and_receive_both_ways(sandbox_factory) -> None:
    sandbox = sandbox_factory(delivery_delay_ms=20)
    base = sandbox.base_url
    phone = new_phone()
    token, chat = await sign_up(base, phone)
    app = await chats_app(base, token)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        chat_list = screen.query_one(ChatList)
        assert chat_list.visible_uids == [chat.uid]
        chat_list.focus()
        await pilot.press("enter")
        pane = await wait_for(pilot, lambda: screen.pane(chat.uid), what="the pane")
        await wait_for(pilot, lambda: isinstance(app.focused, Compose), what="focus in the editor")

        await _type(pilot, "see you at 3")
        await pilot.press("enter")
        assert pane.compose_box.draft == ""
        sent = await wait_for(
            pilot,
            lambda: [e for e in pane.conversation.entries if e.state == "delivered"],
            what="a delivered message",
        )
        assert [e.body for e in sent] == ["see you at 3"]
        assert sent[0].uid.startswith("msg_")
        assert "see you at 3" in await phone_texts(base, phone)

        assert await sms(base, phone, chat.number, "great, bring <b>[bold]cake[/bold]</b>") == "message"
        await wait_for(pilot, lambda: len(pane.conversation.entries) == 2, what="the reply")
        assert "great, bring <b>[bold]cake[/bold]</b>" in squash(screen_text(app))

        on_server = [m.uid for m in await history(base, token, chat.uid)]
        assert shown_uids(pane) == on_server  # one message each, in order, none twice


async def test_inbound_to_another_chat_bumps_unread_and_ctrl_u_opens_it(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    base = sandbox.base_url
    phone = new_phone()
    token, first = await sign_up(base, phone)
    second = await chat_with_myself(base, token, phone, first)  # a second chat, on another line
    assert second.uid != first.uid
    app = await chats_app(base, token)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        chat_list = screen.query_one(ChatList)
        await wait_for(pilot, lambda: len(chat_list.visible_uids) == 2, what="both chats")
        await open_chat(pilot, screen, first.uid)
        await wait_for(pilot, lambda: screen.stream_live, what="the live stream")

        await sms(base, phone, second.number, "one")
        await sms(base, phone, second.number, "two")
        await wait_for(pilot, lambda: chat_list.get_chat(second.uid).unread == 2, what="two unread")
        assert chat_list.get_chat(first.uid).unread == 0
        assert chat_list.visible_uids[0] == second.uid  # sorted by last activity
        assert chat_list.get_chat(second.uid).preview == "two"

        chat_list.focus()
        await pilot.press("ctrl+u")
        pane = await wait_for(pilot, lambda: screen.open_uid == second.uid and screen.pane(second.uid))
        await wait_for(pilot, lambda: [e.body for e in pane.conversation.entries] == ["one", "two"])
        assert chat_list.get_chat(second.uid).unread == 0


async def test_socket_drops_during_traffic_lose_and_repeat_nothing(sandbox_factory) -> None:
    async with signed_in_chat(sandbox_factory, delivery_delay_ms=5) as s:
        await wait_for(s.pilot, lambda: s.screen.stream_live, what="the live stream")
        for round_ in range(3):
            await sms(s.base, s.phone, s.chat.number, f"before drop {round_}")
            await fault(s.base, drop_sockets=True)
            await sms(s.base, s.phone, s.chat.number, f"while down {round_}")  # only backfill can bring this
            s.pane.compose_box.draft = f"sent {round_}"
            s.pane.compose_box.focus()
            await s.pilot.press("enter")
        on_server = [m.uid for m in await history(s.base, s.token, s.chat.uid)]
        assert len(on_server) == 9
        await wait_for(s.pilot, lambda: len(s.pane.conversation.entries) >= 9, what="all nine messages")
        await wait_for(s.pilot, lambda: s.screen.stream_live, what="the stream to come back")
        await nothing_more(s.pilot)  # a late duplicate
        shown = shown_uids(s.pane)
        assert len(shown) == len(set(shown)) == 9  # nothing twice, no placeholder left
        assert set(shown) == set(on_server)  # nothing lost
        # Entries appear in the order they reached the screen: a text of ours sent
        # while a backfilled one was still on its way shows above it.
        inbound = [m.uid for m in await history(s.base, s.token, s.chat.uid) if not m.is_outbound]
        assert [uid for uid in shown if uid in inbound] == inbound


async def test_chat_not_ready_keeps_the_draft_and_explains(sandbox_factory) -> None:
    from plow_tui.record import replace

    sandbox = sandbox_factory()
    base = sandbox.base_url
    token, _ = await sign_up(base, new_phone())
    pending = await pending_chat(base, token, ["Sarah"])
    app = await chats_app(base, token)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        pane = await open_chat(pilot, screen, pending.uid)
        # Enter in a pending chat explains at once and sends nothing.
        pane.compose_box.draft = "hello Sarah"
        pane.compose_box.focus()
        await pilot.press("enter")
        await nothing_more(pilot)  # a send that should not happen
        assert pane.compose_box.draft == "hello Sarah"
        assert list(pane.conversation.entries) == []
        # A stale view that believes the chat active gets the server's 409: the
        # text goes back into the editor, with the reason.
        screen.update_chat(replace(pending, status="active"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Not sent: this chat is waiting" in squash(screen_text(app)), what="the reason")
        assert pane.compose_box.draft == "hello Sarah"
        assert list(pane.conversation.entries) == []
        assert await history(base, token, pending.uid) == []


async def test_delivery_failure_is_shown_and_the_text_kept(sandbox_factory) -> None:
    account = await signed_up(sandbox_factory, delivery_delay_ms=10)
    await fault(account.base, delivery="failed")
    async with opened_chat(account) as s:
        s.pane.compose_box.draft = "will not arrive"
        s.pane.compose_box.focus()
        await s.pilot.press("enter")
        failed = await wait_for(
            s.pilot, lambda: [e for e in s.pane.conversation.entries if e.state == "failed"], what="a failed message"
        )
        assert [e.body for e in failed] == ["will not arrive"]
        assert "✗" in screen_text(s.app)
        assert "will not arrive" not in await phone_texts(s.base, s.phone)
        # It says why (the sandbox gives no reason) and offers to send it again.
        await wait_for(
            s.pilot, lambda: "Not delivered (✗): the server gave no reason" in squash(screen_text(s.app)), what="why"
        )
        await fault(s.base, delivery="delivered")
        s.pane.conversation.focus()
        await s.pilot.press("end")
        assert s.pane.outbox.selected_unsent == failed[0].uid
        await s.pilot.press("r")
        await wait_for(
            s.pilot,
            lambda: [(e.body, e.state) for e in s.pane.conversation.entries]
            == [("will not arrive", "failed"), ("will not arrive", "delivered")],
            what="sent again, as a new message",
        )
        assert "will not arrive" in await phone_texts(s.base, s.phone)
        assert "Not delivered" not in squash(screen_text(s.app))


async def wait_until_consumed(pilot, base: str) -> None:
    """Wait until the sandbox has answered every request `fail_next` asked it to fail."""
    import httpx

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        async with httpx.AsyncClient(base_url=base) as http:
            faults = (await http.post("/sandbox/faults", json={})).json()
        if not faults.get("fail_next"):
            return
        await pilot.pause(0.05)
    raise AssertionError("the injected failure was never used")


async def _send_during_outage(s: ChatSession, failures: int, body: str) -> None:
    await wait_for(s.pilot, lambda: s.screen.stream_live, what="the live stream")
    await workers_idle(s.pilot)  # previews and history loaded (catch-up is done once live): the next /v1 requests are ours
    await fault(s.base, fail_next={"status": 503, "count": failures})
    s.pane.compose_box.draft = body
    s.pane.compose_box.focus()
    await s.pilot.press("enter")


async def _retry_once(s: ChatSession, local_uid: str, body: str) -> None:
    s.pane.conversation.focus()
    s.pane.conversation.select(local_uid)
    await s.pilot.press("r")
    await wait_for(
        s.pilot,
        lambda: [e.state for e in s.pane.conversation.entries] == ["delivered"],
        what="the retried message delivered",
    )
    await s.pilot.press("r")  # nothing to retry any more
    await nothing_more(s.pilot)  # a second send
    on_server = await history(s.base, s.token, s.chat.uid)
    assert [m.body for m in on_server] == [body]
    assert shown_uids(s.pane) == [m.uid for m in on_server]
    assert (await phone_texts(s.base, s.phone)).count(body) == 1


async def test_delivery_unknown_stays_unknown_until_checked_then_retry_sends_once(sandbox_factory) -> None:
    async with signed_in_chat(sandbox_factory, delivery_delay_ms=10) as s:
        # The send answers 503 and so does the automatic check: nobody knows.
        await _send_during_outage(s, 2, "did it go?")
        [unknown] = await wait_for(
            s.pilot, lambda: [e for e in s.pane.conversation.entries if e.state == "unknown"], what="an unknown send"
        )
        assert unknown.body == "did it go?"
        await nothing_more(s.pilot)  # a wrong "sent" guess
        assert s.pane.conversation.get(unknown.uid).state == "unknown"
        assert "?" in screen_text(s.app)
        assert await history(s.base, s.token, s.chat.uid) == []
        assert "Could not check whether it was sent" in squash(screen_text(s.app))
        # A retry whose history check fails does not resend: still unknown, still retryable.
        await fault(s.base, fail_next={"status": 503, "count": 1})
        s.pane.conversation.focus()
        s.pane.conversation.select(unknown.uid)
        await s.pilot.press("r")
        await wait_until_consumed(s.pilot, s.base)  # the retry's check met the 503
        await wait_for(
            s.pilot, lambda: s.pane.conversation.get(unknown.uid).state == "unknown", what="the failed check"
        )
        assert await history(s.base, s.token, s.chat.uid) == []
        await _retry_once(s, unknown.uid, "did it go?")


async def test_delivery_unknown_checked_as_not_sent_then_retry_sends_once(sandbox_factory) -> None:
    async with signed_in_chat(sandbox_factory, delivery_delay_ms=10) as s:
        await _send_during_outage(s, 1, "second try")
        # The automatic check finds it is not on the server: shown as not sent, nothing resent.
        [entry] = await wait_for(
            s.pilot, lambda: [e for e in s.pane.conversation.entries if e.state == "failed"], what="the check"
        )
        await wait_for(s.pilot, lambda: "did not reach the server" in squash(screen_text(s.app)), what="the notice")
        assert await history(s.base, s.token, s.chat.uid) == []
        await _retry_once(s, entry.uid, "second try")


async def test_a_text_to_an_idle_chat_while_the_socket_is_down_still_arrives(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    base = sandbox.base_url
    phone = new_phone()
    token, first = await sign_up(base, phone)
    idle = await chat_with_myself(base, token, phone, first)
    app = await chats_app(base, token)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        chat_list = screen.query_one(ChatList)
        await open_chat(pilot, screen, first.uid)
        await wait_for(pilot, lambda: screen.stream_live, what="the live stream")
        # The idle chat has had no traffic since the app started: only the
        # catch-up after the reconnect can bring this text.
        await fault(base, drop_sockets=True)
        assert await sms(base, phone, idle.number, "sent while you were offline") == "message"
        await wait_for(pilot, lambda: chat_list.get_chat(idle.uid).unread == 1, what="the missed text counted")
        assert chat_list.get_chat(idle.uid).preview == "sent while you were offline"


class _NoAllChatsTickets(PlowClient):
    """A server of the older kind: tickets only for one chat (`{"chat_id": …}`)."""

    all_chats_asked = 0

    async def ws_ticket(self, chat_uid: str | None) -> str:
        if chat_uid is None:
            type(self).all_chats_asked += 1
            raise ValidationFailed("chat_id is required.", status=422)
        return await super().ws_ticket(chat_uid)


async def test_without_all_chats_tickets_the_open_chat_is_followed_on_its_own(sandbox_factory) -> None:
    from datetime import timezone

    from plow_tui.tui.app import AppConfig, PlowApp

    sandbox = sandbox_factory()
    base = sandbox.base_url
    phone = new_phone()
    token, chat = await sign_up(base, phone)
    store = memory_store()
    await store.save_token(base, token)
    app = PlowApp(
        AppConfig(api_url=base, sandbox=True),
        token_store=store,
        client_factory=lambda url, tok=None: _NoAllChatsTickets(url, tok, max_retries=0, timeout=5.0),
        tz=timezone.utc,
        cursor_blink=False,
        animation_level="none",
    )
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        pane = await open_chat(pilot, screen, chat.uid)
        await wait_for(pilot, lambda: screen.stream_live, what="the chat's own stream")
        assert _NoAllChatsTickets.all_chats_asked == 1
        await sms(base, phone, chat.number, "still live")
        await wait_for(pilot, lambda: [e.body for e in pane.conversation.entries] == ["still live"], what="the text")


async def test_no_token_or_ticket_in_logs_screens_or_drafts(sandbox_factory, caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    screens: list[str] = []
    async with signed_in_chat(sandbox_factory, delivery_delay_ms=5, keep_history=True) as s:
        await wait_for(s.pilot, lambda: s.screen.stream_live, what="the live stream")
        await fault(s.base, drop_sockets=True)
        await sms(s.base, s.phone, s.chat.number, "hello again")
        await wait_for(s.pilot, lambda: len(s.pane.conversation.entries) == 1)
        await wait_for(s.pilot, lambda: s.screen.stream_live, what="the stream back")
        s.pane.compose_box.focus()
        for char in "draft":
            await s.pilot.press(char)
        await wait_for(s.pilot, lambda: kept(s.base, s.token)[0] == {s.chat.uid: "draft"}, what="the draft in the store")
        screens.append(screen_text(s.app))
        store = s.screen.history.writer.store.path
    logged = caplog.text
    assert logged  # something was logged, so the search means something
    files = [p.read_bytes().decode("utf-8", "replace") for p in store.parent.parent.rglob("*") if p.is_file()]
    for place in (logged, *screens, *files):
        assert s.token not in place
        assert "ticket=" not in place


async def test_started_while_the_server_fails_it_retries_by_itself_and_says_so(sandbox_factory) -> None:
    from plow_tui.tui.plow.chats import ChatsScreen

    account = await signed_up(sandbox_factory)
    await fault(account.base, fail_next={"status": 503, "count": 1000})
    app = await chats_app(account.base, account.token)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ChatsScreen), what="the main screen")
        placeholder = app.screen.query_one("#no-chat")

        def shown() -> str:
            return str(placeholder.render())

        await wait_for(pilot, lambda: "Trying again" in shown(), timeout=30, what="the retry")
        assert "Ctrl+R" in shown()
        await fault(account.base, fail_next={"status": 503, "count": 0})  # the server is back
        # No key pressed: it loads by itself on the next try.
        await wait_for(pilot, lambda: app.screen.chats_loaded, timeout=30, what="the chats, by themselves")
        await wait_for(pilot, lambda: "Trying again" not in shown(), what="the notice gone")
