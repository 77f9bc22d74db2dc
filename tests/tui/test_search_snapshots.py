"""Searching, at 80x24 and 120x40 (issue #17: every screen usable at 80x24): the find bar and every-chat search."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from app_fakes import wait_for
from support.widget_host import WidgetHost
from textual.app import ComposeResult
from textual.pilot import Pilot
from textual.widgets import OptionList

from plow_tui.store.search import SearchHit
from plow_tui.tui.plow.search import SearchScreen
from plow_tui.tui.widgets.conversation import Conversation
from plow_tui.tui.widgets.find_bar import FindBar
from plow_tui.tui.widgets.view_models import Entry

NOW = datetime(2020, 9, 16, 12, 0, tzinfo=timezone.utc)
BODIES = ["Dinner on Monday?", "no idea", "dinner at eight", "café later", "DINNERS are fun", "ok"]


class FindHost(WidgetHost):
    def compose(self) -> ComposeResult:
        entries = [
            Entry(uid=f"m{n}", author="Ada", body=body, at=NOW - timedelta(minutes=100 - n), outbound=False)
            for n, body in enumerate(BODIES)
        ]
        conversation = Conversation(entries, clock=lambda: NOW)
        yield FindBar(conversation)
        yield conversation

    def on_mount(self) -> None:
        self.query_one(FindBar).open()


async def find_dinn(pilot: Pilot[Any]) -> None:
    await pilot.press(*"dinn")
    await wait_for(pilot, lambda: "3 matches" in str(pilot.app.query_one("#find-count").render()), what="the count")
    await pilot.pause()


def hit(n: int, chat: str, author: str, body: str, start: int, end: int) -> SearchHit:
    return SearchHit(
        chat_uid=f"cht_{n}", chat_title=chat, message_uid=f"msg_{n}", created_at=NOW - timedelta(days=n),
        author=author, body=body, snippet=body, spans=((start, end),),
    )


HITS = [
    hit(0, "Ada", "Ada", "Dinner on Monday? The new place on 5th", 0, 6),
    hit(1, "Bob", "you", "dinner at eight works for me", 0, 6),
    hit(2, "Ada, Patrick, Sarah", "Patrick", "after dinner we could walk along the river and talk about the trip", 6, 12),
]


class SearchHost(WidgetHost):
    async def search(self, query: str) -> list[SearchHit]:
        return HITS if query.strip() else []

    def on_mount(self) -> None:
        self.push_screen(SearchScreen(self.search, mode="fts5", local_time=self.local_time))


async def search_dinner(pilot: Pilot[Any]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SearchScreen), what="the search screen")
    await pilot.press(*"dinner")
    await wait_for(pilot, lambda: pilot.app.screen.query_one(OptionList).option_count == 3, what="three results")
    await pilot.pause()


def test_find_bar_80x24(snap_compare) -> None:
    assert snap_compare(FindHost(), terminal_size=(80, 24), run_before=find_dinn)


def test_search_every_chat_80x24(snap_compare) -> None:
    assert snap_compare(SearchHost(), terminal_size=(80, 24), run_before=search_dinner)


def test_search_every_chat_120x40(snap_compare) -> None:
    assert snap_compare(SearchHost(), terminal_size=(120, 40), run_before=search_dinner)
