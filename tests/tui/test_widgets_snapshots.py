"""Snapshots of the chat widgets with fixed data, times, size and time zone."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.app import ComposeResult
from textual.pilot import Pilot

from support.widget_host import WidgetHost

from plow_tui.tui.plow.views import format_number
from plow_tui.tui.widgets.chat_list import ChatList
from plow_tui.tui.widgets.conversation import Conversation
from plow_tui.tui.widgets.view_models import ChatSummary, Entry

NOW = datetime(2020, 9, 16, 14, 2, tzinfo=timezone.utc)
SIZE = (100, 30)




def at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2020, 9, day, hour, minute, tzinfo=timezone.utc)


CONVERSATION = [
    Entry("1", "Ada", "did you get the tickets?", at(15, 18, 40), False),
    Entry("2", "Ada", "[bold]not bold[/] \x1b[31mnot red\x1b[0m", at(15, 18, 41), False),
    Entry("3", "me", "yes! see you at the café", at(15, 19, 2), True, "delivered"),
    Entry("4", "Ada", "hey, are we still on for 3?", at(16, 13, 58), False),
    Entry("5", "me", "yes", at(16, 13, 59), True, "sent"),
    Entry(
        "6",
        "Ada Lovelace-Byron",
        "great — can you bring the charger? also the long cable, the one from the drawer "
        "next to the door, and maybe https://example.com/list if you have time",
        at(16, 14, 1),
        False,
    ),
    Entry("7", "me", "sure", at(16, 14, 2), True, "sending"),
    Entry("8", "me", "this one did not go through", at(16, 14, 2), True, "failed"),
    Entry("9", "me", "no idea where this is", at(16, 14, 2), True, "unknown"),
    Entry("10", "me", "a state we don't know", at(16, 14, 2), True, "queued"),
]


class ConversationHost(WidgetHost):
    def __init__(self, entries: list[Entry]) -> None:
        super().__init__()
        self.animation_level = "none"
        self.entries = entries

    def compose(self) -> ComposeResult:
        yield Conversation(self.entries, clock=lambda: NOW)

    def on_mount(self) -> None:
        self.query_one(Conversation).focus()


def test_conversation_snapshot(snap_compare) -> None:
    async def select_a_message(pilot: Pilot) -> None:
        await pilot.pause()
        await pilot.press("k", "k", "k", "k", "k")

    assert snap_compare(ConversationHost(CONVERSATION), terminal_size=SIZE, run_before=select_a_message)


def test_conversation_new_messages_marker_snapshot(snap_compare) -> None:
    older = [
        Entry(f"o{n}", "Ada" if n % 2 else "me", f"message {n}", at(16, 9, n), n % 2 == 0, None if n % 2 else "delivered")
        for n in range(50)
    ]

    async def scroll_up_then_receive(pilot: Pilot) -> None:
        conversation = pilot.app.query_one(Conversation)
        await pilot.pause()
        conversation.scroll_to(y=10, animate=False)
        await pilot.pause()
        conversation.add_entries(
            [Entry(f"n{n}", "Ada", f"new {n}", at(16, 10, n), False) for n in range(3)]
        )
        await pilot.pause()

    assert snap_compare(ConversationHost(older), terminal_size=SIZE, run_before=scroll_up_then_receive)


CHATS = [
    ChatSummary("ada", "Ada", "+15550000001", "active", None, "hey, are we still on for 3?", at(16, 14, 2), 2, number_shown=format_number("+15550000001")),
    ChatSummary("ps", "Patrick, Sarah", "+15550000002", "pending", None, None, at(16, 13, 40), 0, "waiting for Sarah", number_shown=format_number("+15550000002")),
    ChatSummary("bob", "Bob [b]not bold[/b]", "+15550000003", "active", None, "see you \x1b[2J soon", at(15, 20, 0), 0, number_shown=format_number("+15550000003")),
    ChatSummary("old", "Old chat", "+442071234567", "failed", "code expired", None, at(2, 9, 0), 0, number_shown=format_number("+442071234567")),
    ChatSummary("cy", "Cy", "+15550000004", "active", None, "three unread", at(16, 11, 5), 3, number_shown=format_number("+15550000004")),
    ChatSummary("airy", "Website visitor", None, "active", None, None, None, 0, "connecting…"),
]


class ChatListHost(WidgetHost):
    CSS = "ChatList { width: 36; }"

    def compose(self) -> ComposeResult:
        yield ChatList(CHATS, clock=lambda: NOW)

    def on_mount(self) -> None:
        self.animation_level = "none"
        self.query_one(ChatList).focus()


def test_chat_list_snapshot(snap_compare) -> None:
    async def move_down(pilot: Pilot) -> None:
        await pilot.pause()
        await pilot.press("j")

    assert snap_compare(ChatListHost(), terminal_size=SIZE, run_before=move_down)
