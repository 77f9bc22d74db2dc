"""The Airy screen against a scripted conversation: what it shows for each thing the stream says."""

from __future__ import annotations

from support.waits import nothing_more
from app_fakes import screen_text, squash, wait_for

from plow_tui.client.airy.errors import AiryChannelNotFound, AiryNetworkError
from plow_tui.client.airy.events import AiryConversationRestarted, AiryMessagesArrived, AiryMessageUpdated
from plow_tui.client.events import ConnectionChanged
from support.demo_data import AIRY_HISTORY as HISTORY
from support.demo_data import airy_message, fake_airy_app
from plow_tui.tui.airy.screen import CHANNEL_GONE, CONNECTING, AiryScreen
from plow_tui.tui.widgets.status_bar import Connection, StatusBar


async def _open(pilot, history=HISTORY) -> AiryScreen:
    app = pilot.app
    screen = await wait_for(pilot, lambda: isinstance(app.screen, AiryScreen) and app.screen, what="the Airy screen")
    await wait_for(pilot, lambda: len(screen.conversation.entries) == len(history), what="the history")
    await wait_for(pilot, lambda: screen.compose_box.disabled_reason is None, what="sending allowed")
    return screen


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def test_history_is_shown_with_who_wrote_it_literally() -> None:
    app = fake_airy_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        entries = screen.conversation.entries
        assert [e.uid for e in entries] == [m.id for m in HISTORY]
        assert [(e.author, e.outbound) for e in entries[:2]] == [("you", True), ("Mia (Support)", False)]
        assert entries[0].state == "delivered" and entries[1].state is None
        text = squash(screen_text(app))
        assert "[bold]tracking[/bold]" in text  # network text is never markup
        assert "channel 5f1e7c2a-8b4d-4e6f-9a1c-3d2b0e4f6a70" in text
        assert screen.query_one(StatusBar).connection is Connection.LIVE
        assert "Back" not in text  # nothing to go back to when the screen is the app
        assert not screen.check_action("back", ())


async def test_a_send_shows_sending_at_once_then_becomes_the_one_real_message() -> None:
    app = fake_airy_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        app.fake.release.clear()  # the server takes its time
        await _type(pilot, "one more thing")
        await pilot.press("enter")
        last = screen.conversation.entries[-1]
        assert (last.body, last.state, last.outbound) == ("one more thing", "sending", True)
        assert screen.compose_box.draft == ""
        app.fake.release.set()
        await wait_for(pilot, lambda: screen.conversation.entries[-1].uid == "sent-1", what="the real message")
        bodies = [e.body for e in screen.conversation.entries]
        assert bodies.count("one more thing") == 1
        assert screen.conversation.entries[-1].state == "delivered"


async def test_the_echo_before_the_answer_is_still_one_message() -> None:
    app = fake_airy_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        app.fake.echo_first = True
        await _type(pilot, "echo")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not any(e.uid.startswith("local-") for e in screen.conversation.entries), what="the placeholder to go")
        await nothing_more(pilot)  # a second copy
        assert [e.uid for e in screen.conversation.entries if e.body == "echo"] == ["sent-1"]


async def test_a_failed_send_puts_the_text_back_with_the_reason() -> None:
    app = fake_airy_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        app.fake.failure = AiryNetworkError("The Airy instance did not answer in time (send the message).")
        await _type(pilot, "lost?")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.compose_box.draft == "lost?", what="the text back in the editor")
        assert [e.uid for e in screen.conversation.entries] == [m.id for m in HISTORY]
        assert "Not sent: The Airy instance did not answer in time" in squash(screen_text(app))


async def test_updates_restart_notice_and_a_late_message_placed_by_time() -> None:
    app = fake_airy_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        events = app.fake.events
        events.put_nowait(AiryMessageUpdated(airy_message("m5", "Great, thank you!", 1, visitor=True, state="failed")))
        # Missed while the socket was down: older than the newest shown.
        events.put_nowait(AiryMessagesArrived((airy_message("m4b", "(late) one more detail", 3, visitor=False),), backfill=True))
        events.put_nowait(AiryConversationRestarted("The saved Airy conversation could not be resumed; a new conversation has started."))
        await wait_for(pilot, lambda: screen.conversation.get("m4b"), what="the late message")
        uids = [e.uid for e in screen.conversation.entries]
        assert uids == ["m1", "m2", "m3", "m4", "m4b", "m5"]
        assert screen.conversation.get("m5").state == "failed"
        assert screen.conversation.get("m4b").author == "agent"  # no sender named
        await wait_for(pilot, lambda: "a new conversation has started" in squash(screen_text(app)), what="the notice")


async def test_a_gone_channel_is_a_clear_error_and_the_draft_stays() -> None:
    app = fake_airy_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        await _type(pilot, "my draft")
        app.fake.events.put_nowait(ConnectionChanged("offline", reason="gone"))
        app.fake.events.put_nowait(AiryChannelNotFound("The Airy channel is unknown or no longer connected.", status=404))
        await wait_for(pilot, lambda: screen.failed is not None, what="the failure")
        await pilot.pause()
        assert screen.compose_box.draft == "my draft"
        assert screen.compose_box.disabled_reason == CHANNEL_GONE
        text = squash(screen_text(app))
        assert "The Airy channel is unknown or no longer connected. Press Ctrl+R to try again." in text
        assert screen.query_one(StatusBar).connection is Connection.OFFLINE
        await pilot.press("enter")
        assert app.fake.sent == []  # Enter explains instead of sending
        assert screen.check_action("reconnect", ())
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen.compose_box.disabled_reason is None, what="sending allowed again")
        assert screen.failed is None and screen.compose_box.draft == "my draft"


async def test_sending_waits_until_the_conversation_exists() -> None:
    app = fake_airy_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, AiryScreen) and app.screen, what="the screen")
        app.fake.started = False  # as if authenticate had not answered yet
        screen._update_compose()
        assert screen.compose_box.disabled_reason == CONNECTING
        await _type(pilot, "too early")
        await pilot.press("enter")
        await pilot.pause()
        assert app.fake.sent == [] and screen.compose_box.draft == "too early"


async def test_an_agent_answer_rings_the_bell_only_when_the_terminal_is_in_the_background() -> None:
    app = fake_airy_app()
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        assert rings == []  # the history on opening does not ring
        events = app.fake.events
        events.put_nowait(AiryMessagesArrived((airy_message("a1", "still there?", 0, visitor=False),)))
        await wait_for(pilot, lambda: screen.conversation.get("a1"), what="the answer")
        assert rings == []  # the terminal has focus
        app.app_focus = False
        events.put_nowait(AiryMessagesArrived((airy_message("a2", "hello?", 0, visitor=False),)))
        await wait_for(pilot, lambda: screen.conversation.get("a2"), what="the second answer")
        assert rings == [1]


async def test_a_word_typed_in_the_messages_starts_the_text_as_on_the_plow_screen() -> None:
    # The rule lives in the shared ChatPanel: before, on Airy, "ok thanks" typed
    # with the messages focused was read as keys (`k`: previous message) and lost.
    from textual import events

    app = fake_airy_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        screen.conversation.focus()
        await wait_for(pilot, lambda: app.focused is screen.conversation, what="the messages focused")
        for character in "ok thanks":
            key = "space" if character == " " else character
            app.post_message(events.Key(key, character))  # as the driver does: no wait between them
        await wait_for(pilot, lambda: screen.compose_box.draft == "ok thanks", what="the whole text in the editor")
        assert app.focused is screen.compose_box
        await pilot.press("escape")  # back to the messages on purpose: `k` is a key again
        await wait_for(pilot, lambda: app.focused is screen.conversation, what="the messages focused again")
        await pilot.press("k")
        assert screen.compose_box.draft == "ok thanks"
