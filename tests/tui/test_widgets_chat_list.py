"""Behaviour of the ChatList widget, driven through a tiny host app."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from textual.app import ComposeResult

from support.widget_host import WidgetHost

from plow_tui.record import replace
from plow_tui.tui.widgets.chat_list import ChatList
from plow_tui.tui.widgets.view_models import ChatSummary
from plow_tui.tui.plow.views import format_number

NOW = datetime(2020, 9, 16, 14, 2, tzinfo=timezone.utc)
SIZE = (100, 30)




def chat(uid: str, minutes_ago: int | None, **fields) -> ChatSummary:
    return ChatSummary(
        uid=uid,
        title=fields.pop("title", uid.capitalize()),
        number=(number := fields.pop("number", "+15550000001")),
        number_shown=format_number(number) if number else None,
        status=fields.pop("status", "active"),
        preview=fields.pop("preview", f"hello from {uid}"),
        last_at=None if minutes_ago is None else NOW - timedelta(minutes=minutes_ago),
        **fields,
    )


class Host(WidgetHost):
    def __init__(self, chats: list[ChatSummary] = ()) -> None:
        super().__init__()
        self.animation_level = "none"
        self.initial = chats
        self.opened: list[str] = []

    def compose(self) -> ComposeResult:
        yield ChatList(self.initial, clock=lambda: NOW)

    def on_chat_list_chat_opened(self, message: ChatList.ChatOpened) -> None:
        self.opened.append(message.uid)


def rows(chat_list: ChatList) -> list[str]:
    return [
        chat_list.render_line(y).text.rstrip()
        for y in range(chat_list.scrollable_content_region.height)
    ]


async def test_sorted_by_last_activity_newest_first() -> None:
    chats = [chat("old", 300), chat("never", None), chat("new", 1), chat("mid", 60)]
    async with Host(chats).run_test(size=SIZE) as pilot:
        chat_list = pilot.app.query_one(ChatList)
        assert chat_list.visible_uids == ["new", "mid", "old", "never"]
        assert chat_list.highlighted_uid == "new"


async def test_rows_show_name_unread_time_number_and_status() -> None:
    chats = [
        chat("ada", 2, title="Ada", unread=2),
        chat("ps", 5, title="Patrick, Sarah", status="pending", connection_note="waiting for Sarah", number="+15550000002"),
        chat("old", 60 * 24 * 3, title="Old chat", status="failed", failure_reason="code expired", number="+442071234567"),
        chat("airy", None, title="Airy visitor", number=None, preview="hi"),
    ]
    async with Host(chats).run_test(size=SIZE) as pilot:
        chat_list = pilot.app.query_one(ChatList)
        lines = rows(chat_list)
        assert lines[0].startswith("Ada") and lines[0].endswith(" 2  14:00")
        assert lines[1] == "+1 (555) 000-0001"
        assert lines[2] == "hello from ada"
        assert lines[3].startswith("Patrick, Sarah") and lines[3].endswith("pending 13:57")
        assert lines[5] == "pending — waiting for Sarah"
        assert lines[6].endswith("failed 13 Sep") and lines[7] == "+442071234567"
        assert lines[8] == "failed — code expired"
        assert lines[9:11] == ["Airy visitor", "hi"]  # no number: two lines

        # Unread names are bold; the failure line uses a different colour than the preview.
        name = chat_list.render_line(0)
        assert any(seg.style and seg.style.bold and "Ada" in seg.text for seg in name)
        failure = next(seg for seg in chat_list.render_line(8) if "failed" in seg.text)
        preview = next(seg for seg in chat_list.render_line(2) if "hello" in seg.text)
        assert failure.style.color != preview.style.color


async def test_network_text_is_literal() -> None:
    evil = chat("x", 1, title="[bold]Eve[/] \x1b[2J", preview="[@click=app.quit]go[/]\x07")
    async with Host([evil]).run_test(size=SIZE) as pilot:
        lines = rows(pilot.app.query_one(ChatList))
        assert lines[0].startswith("[bold]Eve[/] ␛[2J")
        assert lines[2] == "[@click=app.quit]go[/]␇"


async def test_highlight_survives_resorting_and_updates() -> None:
    chats = [chat("a", 1), chat("b", 2), chat("c", 3)]
    async with Host(chats).run_test(size=SIZE) as pilot:
        chat_list = pilot.app.query_one(ChatList)
        assert chat_list.select_uid("b")
        chat_list.upsert(replace(chats[2], last_at=NOW))  # c jumps to the top
        await pilot.pause()
        assert chat_list.visible_uids == ["c", "a", "b"]
        assert chat_list.highlighted_uid == "b"
        chat_list.upsert(replace(chats[1], preview="edited"))  # same place
        await pilot.pause()
        assert chat_list.highlighted_uid == "b"
        assert "edited" in rows(chat_list)
        chat_list.upsert(chat("d", -1))
        await pilot.pause()
        assert chat_list.visible_uids[0] == "d" and chat_list.highlighted_uid == "b"
        assert chat_list.remove_chat("b") and not chat_list.remove_chat("b")
        assert chat_list.highlighted_uid in chat_list.visible_uids


async def test_unread_counts_and_next_unread() -> None:
    chats = [chat("a", 1), chat("b", 2), chat("c", 3), chat("d", 4)]
    async with Host(chats).run_test(size=SIZE) as pilot:
        chat_list = pilot.app.query_one(ChatList)
        assert chat_list.next_unread_uid() is None
        chat_list.bump_unread("c")
        chat_list.bump_unread("c")
        chat_list.bump_unread("a")
        chat_list.bump_unread("nope")
        assert chat_list.get_chat("c").unread == 2
        assert chat_list.highlighted_uid == "a"
        assert chat_list.next_unread_uid() == "c"
        chat_list.select_uid("d")
        assert chat_list.next_unread_uid() == "a"  # wraps around
        chat_list.mark_read("a")
        chat_list.mark_read("c")
        assert chat_list.next_unread_uid() is None
        await pilot.pause()
        assert not any(line.endswith((" 1  14:01", " 2  13:59")) for line in rows(chat_list))


async def test_filter_matches_title_number_and_preview() -> None:
    chats = [
        chat("ada", 1, title="Ada Lovelace", number="+15550000001", preview="tea?"),
        chat("bob", 2, title="Bob", number="+15551230002", preview="see you at the CAFÉ"),
        chat("cy", 3, title="Cy", number="+15559990003", preview="ok"),
    ]
    async with Host(chats).run_test(size=SIZE) as pilot:
        chat_list = pilot.app.query_one(ChatList)
        chat_list.filter("lovelace")
        assert chat_list.visible_uids == ["ada"]
        chat_list.filter("café")
        assert chat_list.visible_uids == ["bob"]
        chat_list.filter("(555) 999")
        assert chat_list.visible_uids == ["cy"]
        chat_list.filter("5550000001")
        assert chat_list.visible_uids == ["ada"]
        chat_list.filter("zzz")
        assert chat_list.visible_uids == [] and chat_list.highlighted_uid is None
        chat_list.filter("")
        assert chat_list.visible_uids == ["ada", "bob", "cy"]
        chat_list.filter("Bob")
        assert chat_list.select_uid("cy")  # a hidden chat clears the filter
        assert chat_list.filter_text == "" and chat_list.highlighted_uid == "cy"


async def test_keys_and_clicks_open_chats() -> None:
    chats = [chat("a", 1), chat("b", 2), chat("c", 3)]
    async with Host(chats).run_test(size=SIZE) as pilot:
        chat_list = pilot.app.query_one(ChatList)
        chat_list.focus()
        await pilot.press("j", "j")
        assert chat_list.highlighted_uid == "c"
        await pilot.press("k", "enter")
        assert pilot.app.opened == ["b"]
        await pilot.click(ChatList, offset=(5, 1))
        assert pilot.app.opened == ["b", "a"]


def test_number_formatting() -> None:
    assert format_number("+15550000001") == "+1 (555) 000-0001"
    assert format_number("+442071234567") == "+442071234567"
    assert format_number("555\x1b") == "555␛"
    assert format_number(None) == ""


async def test_a_row_updated_in_place_repaints_only_its_lines() -> None:
    # Textual's replace_option_prompt repaints the whole list for one prompt: a chat receiving
    # a burst changed its row four times a second at the cost of the whole list (issue #19).
    from textual.widgets import OptionList

    chats = [chat("new", 1), chat("mid", 60, number=None), chat("old", 300)]
    async with Host(chats).run_test(size=SIZE) as pilot:
        chat_list = pilot.app.query_one(ChatList)
        chat_list.highlighted = 2
        await pilot.pause()
        before = rows(chat_list)
        drawn: list[int] = []
        render_line = OptionList.render_line
        OptionList.render_line = lambda self, y: drawn.append(y) or render_line(self, y)  # type: ignore[method-assign]
        try:
            chat_list.upsert(replace(chats[1], preview="a_newer_text", unread=2))  # same place, same height
            await pilot.pause()
        finally:
            OptionList.render_line = render_line  # type: ignore[method-assign]
        assert sorted(drawn) == [3, 4]  # the middle chat's two lines, nothing else
        after = rows(chat_list)
        assert "a_newer_text" in after[4] and " 2 " in after[3]
        assert "a_newer_text" in pilot.app.export_screenshot()  # what the screen is made of, rows kept included
        assert after[:3] == before[:3] and after[5:] == before[5:]
        assert chat_list.highlighted_uid == "old"
        chat_list.upsert(replace(chats[1], preview="with a number now", number="+15550000009"))  # one line taller
        await pilot.pause()
        after = rows(chat_list)
        assert "with a number now" in after[5] and "hello from old" in after[8]


async def test_a_row_updated_before_the_list_is_laid_out_is_shown() -> None:
    # The screen updates rows as it mounts, before the list has its size (it crashed there once).
    from textual.app import App

    class Later(App[None]):
        async def on_mount(self) -> None:
            chat_list = ChatList([chat("new", 1)], clock=lambda: NOW)
            await self.mount(chat_list)
            chat_list.upsert(chat("new", 1, preview="updated_early"))

    app = Later()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("updated_early" in row for row in rows(app.query_one(ChatList)))
