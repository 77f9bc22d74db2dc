"""Issue #16's markers: the "new messages" line where the unread part starts, and the draft mark on a chat row."""

from __future__ import annotations

from datetime import timedelta

from test_widgets_chat_list import Host as ListHost
from test_widgets_chat_list import chat, rows
from test_widgets_conversation import NOW, SIZE, Host, entry, screen_lines

from plow_tui.tui.widgets.chat_list import ChatList
from plow_tui.tui.widgets.conversation import Conversation
from plow_tui.tui.widgets.conversation_render import NEW_MESSAGES
from plow_tui.tui.widgets.view_models import first_unread



def test_the_unread_part_starts_at_the_oldest_of_the_newest_inbound() -> None:
    entries = [entry(0), entry(1, outbound=True), entry(2), entry(3, outbound=True), entry(4)]
    assert first_unread(entries, 1) == "m4"
    assert first_unread(entries, 2) == "m2"  # outbound texts in between are not counted
    assert first_unread(entries, 9) == "m0"  # more unread than shown: the oldest shown
    assert first_unread(entries, 0) is None
    assert first_unread([entry(0, outbound=True)], 1) is None


async def test_the_line_is_drawn_above_the_first_unread_and_moves_or_goes() -> None:
    async with Host([entry(n) for n in range(5)]).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.mark_unread_from("m3")
        await pilot.pause()
        lines = screen_lines(conversation)
        at = next(i for i, line in enumerate(lines) if NEW_MESSAGES in line)
        assert "message 2" in lines[at - 1] and "message 3" in lines[at + 1]
        conversation.mark_unread_from(None)
        await pilot.pause()
        assert not any(NEW_MESSAGES in line for line in screen_lines(conversation))


async def test_on_a_new_day_the_line_joins_the_day_s_label() -> None:
    yesterday = entry(0, at=NOW - timedelta(days=1))
    async with Host([yesterday, entry(1)]).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.mark_unread_from("m1")
        await pilot.pause()
        labels = [line.strip("─ ") for line in screen_lines(conversation) if line.startswith("─")]
        assert labels == ["Yesterday", f"Today · {NEW_MESSAGES}"]  # still one line above the message


async def test_a_chat_with_a_draft_shows_a_pencil_on_its_row() -> None:
    async with ListHost([chat("ada", 1, title="Ada", draft=True), chat("bob", 2, title="Bob")]).run_test(size=SIZE) as pilot:
        chat_list = pilot.app.query_one(ChatList)
        shown = rows(chat_list)
        assert shown[0].startswith("Ada") and "✎" in shown[0]
        assert shown[3].startswith("Bob") and "✎" not in shown[3]
