"""Searching inside a conversation: the find bar, highlighted matches, n / N, Esc."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app_fakes import wait_for
from textual.app import ComposeResult

from support.widget_host import WidgetHost

from plow_tui.tui.widgets.conversation import Conversation
from plow_tui.tui.widgets.view_models import Entry
from plow_tui.tui.widgets.find_bar import FindBar

NOW = datetime(2020, 9, 16, 12, 0, tzinfo=timezone.utc)


def entry(n: int, body: str) -> Entry:
    return Entry(uid=f"m{n}", author="Ada", body=body, at=NOW - timedelta(minutes=100 - n), outbound=False)


BODIES = ["Dinner on Monday?", "no idea", "dinner at eight", "café later", "DINNERS are fun", "ok"]


class Host(WidgetHost):
    def compose(self) -> ComposeResult:
        conversation = Conversation([entry(n, b) for n, b in enumerate(BODIES)], clock=lambda: NOW)
        yield FindBar(conversation)
        yield conversation


def highlighted(conversation: Conversation) -> list[str]:
    """The text drawn in the match style on screen."""
    style = conversation._style_set().match
    found = []
    for y in range(conversation.size.height):
        for segment in conversation.render_line(y):
            # (the selected line adds the cursor's style on top)
            if segment.style is not None and segment.style.bold and segment.style.color == style.color and "ok" != segment.text:
                found.append(segment.text)
    return found


async def test_typing_highlights_matches_and_n_N_step_through_them() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        bar = app.query_one(FindBar)
        conversation = app.query_one(Conversation)
        bar.open()
        await pilot.press(*"dinn")
        await wait_for(pilot, lambda: conversation.selected_uid == "m4", what="the newest match selected")
        assert conversation.matches() == ["m0", "m2", "m4"]
        assert sorted(highlighted(conversation)) == ["DINN", "Dinn", "dinn"]
        assert "3 matches" in str(app.query_one("#find-count").render())
        await pilot.press("enter")  # the keys go to the conversation: n / N
        assert conversation.has_focus
        await pilot.press("N")
        assert conversation.selected_uid == "m2"
        await pilot.press("N")
        assert conversation.selected_uid == "m0"
        await pilot.press("N")  # no older match: stays
        assert conversation.selected_uid == "m0"
        await pilot.press("n", "n")
        assert conversation.selected_uid == "m4"
        bar.close()  # Esc, in the app (tests/tui/test_search_app.py)
        await pilot.pause()
        assert not bar.is_open and highlighted(conversation) == [] and conversation.matches() == []
        await pilot.press("n")  # n means nothing without a search
        assert conversation.selected_uid == "m4"


async def test_accents_and_case_fold_and_no_match_says_so() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        bar = app.query_one(FindBar)
        bar.open("CAFE")
        await pilot.pause()
        assert app.query_one(Conversation).selected_uid == "m3"
        bar.open("zebra")
        await pilot.pause()
        assert "no match" in str(app.query_one("#find-count").render())


async def test_the_query_stays_visible_while_the_box_has_focus() -> None:
    """Input's own `:focus` rule draws a tall border; in a one-line bar that left no row for the text."""
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        bar = app.query_one(FindBar)
        box = bar.query_one("#find-input")
        bar.open()
        await pilot.press(*"dinn")
        await wait_for(pilot, lambda: box.has_focus and box.content_region.height > 0, what="room for the query in the focused box")
        assert box.content_region.height == 1 and box.region.height == 1
