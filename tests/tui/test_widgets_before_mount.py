"""Widgets told things before they are mounted keep them and show them once mounted.

A screen adds a pane and tells it about its chat in the same breath; the
pane's children only exist once `compose()` has run, a frame or more later.
This crashed the app (`NoMatches` on `#header`) when a stream event came in
just after a chat was opened.
"""

from __future__ import annotations


from app_fakes import sandbox_factory, screen_text, squash, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import on_main_screen, signed_up
from textual.app import App, ComposeResult
from textual.widgets import ContentSwitcher, Static

from support.demo_data import NOW, TEAM, FakePlow
from plow_tui.record import replace
from plow_tui.tui.plow.chat_pane import ChatPane, VerificationPanel
from plow_tui.tui.widgets.conversation import Conversation
from plow_tui.tui.widgets.view_models import Entry


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield ContentSwitcher(id="panes")


def _pane(chat=TEAM, draft: str | None = None) -> ChatPane:
    api = FakePlow("http://fake")
    codes = {m.uid: m for m in chat.members}
    return ChatPane(chat, codes=codes, draft=draft, api=lambda: api, clock=lambda: NOW, id="pane")


async def test_a_pane_told_about_its_chat_while_mounting_shows_the_latest() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = _pane(TEAM, draft="half a thought")
        assert pane.compose_box.draft == "half a thought"  # the restored draft is there at once
        app.query_one(ContentSwitcher).add_content(pane, set_current=True)
        # At once, before compose() has run: what the chats screen does on a stream event.
        pane.update_chat(replace(TEAM, status="failed", failure_reason="a member never verified"))
        pane.show_notice("Not sent: the chat failed.")
        await wait_for(pilot, lambda: pane.is_mounted, what="the pane")
        await pilot.pause()
        text = squash(screen_text(app))
        assert "This chat failed: a member never verified." in text
        assert "Not sent: the chat failed." in text
        assert "VERIFY-AB12CD" not in text  # the panel of the pending chat it was is hidden
        assert "failed" in str(pane.query_one("#header", Static).render())
        assert pane.compose_box.draft == "half a thought"


def test_a_panes_outbox_answers_before_it_is_mounted() -> None:
    # The chats screen's footer asks `outbox.selected_unsent` (for `r`) as soon as
    # the pane is added; the outbox used to find its pane as `self.parent` (None).
    pane = _pane(TEAM)
    assert not pane.outbox.is_mounted
    assert pane.outbox.shown is pane.conversation
    assert pane.outbox.selected_unsent is None


async def test_a_verification_panel_shown_before_mount_draws_its_codes() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = VerificationPanel()
        app.query_one(ContentSwitcher).add_content(panel, id="panel", set_current=True)
        panel.show(TEAM, {m.uid: m for m in TEAM.members})
        await wait_for(pilot, lambda: panel.is_mounted, what="the panel")
        await pilot.pause()
        assert "VERIFY-AB12CD" in squash(screen_text(app))


async def test_a_conversation_selects_before_its_first_layout() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        conversation = Conversation(id="conversation", clock=lambda: NOW)
        app.query_one(ContentSwitcher).add_content(conversation, set_current=True)
        conversation.add_entries([Entry("m1", "Ada", "hello", NOW, False), Entry("m2", "Ada", "again", NOW, False)])
        conversation.select("m1")
        conversation.update_state("m1", None)
        await wait_for(pilot, lambda: "again" in screen_text(app), what="the messages")
        assert conversation.selected_uid == "m1"


async def test_a_chat_updated_the_moment_its_pane_is_added(sandbox_factory) -> None:
    """The crash as it happened: the screen opens a chat and a stream event updates it in the same turn."""
    account = await signed_up(sandbox_factory)
    async with on_main_screen(account) as s:
        chat = s.screen.chat(account.chat.uid)
        s.screen.open_chat(chat.uid)
        s.screen.update_chat(replace(chat, status="failed", failure_reason="the line was shut"))
        pane = s.screen.pane(chat.uid)
        await wait_for(s.pilot, lambda: pane.is_mounted and pane.loaded, what="the pane")
        await wait_for(
            s.pilot, lambda: "This chat failed: the line was shut." in squash(screen_text(s.app)), what="the failure"
        )
        assert s.app.is_running
