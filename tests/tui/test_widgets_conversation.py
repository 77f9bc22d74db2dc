"""Behaviour of the Conversation widget, driven through a tiny host app."""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from textual.app import ComposeResult

from support.waits import wait_for
from support.widget_host import WidgetHost

from textual.strip import Strip

from plow_tui.tui.widgets.conversation import Conversation
from plow_tui.tui.widgets.conversation_layout import blocks_kept
from plow_tui.tui.widgets.view_models import Entry

NOW = datetime(2020, 9, 16, 12, 0, tzinfo=timezone.utc)  # a Wednesday
SIZE = (100, 30)




def entry(n: int, *, at: datetime | None = None, body: str | None = None, **fields) -> Entry:
    return Entry(
        uid=fields.pop("uid", f"m{n}"),
        author=fields.pop("author", "Ada"),
        body=f"message {n}" if body is None else body,
        at=at or NOW - timedelta(hours=3) + timedelta(minutes=n),
        outbound=fields.pop("outbound", False),
        **fields,
    )


def many(count: int, start: int = 0) -> list[Entry]:
    return [entry(n) for n in range(start, start + count)]


class Host(WidgetHost):
    def __init__(self, entries: list[Entry] = ()) -> None:
        super().__init__()
        self.animation_level = "none"
        self.initial = entries
        self.near_top: list[Conversation.NearTop] = []
        self.opened: list[str] = []

    def compose(self) -> ComposeResult:
        yield Conversation(self.initial, clock=lambda: NOW)

    def on_conversation_near_top(self, message: Conversation.NearTop) -> None:
        self.near_top.append(message)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        self.opened.append(url)


class PaintedHost(Host):
    """A host that keeps what its frames painted (what a terminal would be sent), not what a screenshot renders now."""

    def __init__(self, entries: list[Entry] = ()) -> None:
        super().__init__(entries)
        self.painted = ""

    def _display(self, screen, renderable) -> None:  # Textual's hook for each frame
        from textual._compositor import CompositorUpdate

        super()._display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            self.painted += renderable.render_segments(self.console)


def screen_lines(conversation: Conversation) -> list[str]:
    return [
        conversation.render_line(y).text.rstrip()
        for y in range(conversation.scrollable_content_region.height)
    ]


def text_of(conversation: Conversation) -> str:
    return "\n".join(screen_lines(conversation))


async def test_shows_time_sender_body_and_delivery_glyphs() -> None:
    states = ["sending", "sent", "delivered", "failed", "unknown", "queued"]
    entries = [entry(0, body="hello there")] + [
        entry(n, outbound=True, state=state, body=f"out {state}")
        for n, state in enumerate(states, start=1)
    ]
    async with Host(entries).run_test(size=SIZE) as pilot:
        lines = screen_lines(pilot.app.query_one(Conversation))
        # The mark sits in its own column between the sender and the body.
        marks = {m.group(2): m.group(1) for line in lines if (m := re.search(r" you +(\S*) +(out \w+)", line))}
        assert any(line.startswith("09:00  Ada") and "hello there" in line for line in lines)
        assert marks == {
            "out sending": "…",
            "out sent": "✓",
            "out delivered": "✓✓",
            "out failed": "✗",
            "out unknown": "?",
            "out queued": "",
        }
        assert any(line.endswith("out queued (queued)") for line in lines)  # no glyph: in words
        columns = {line.index("out ") for line in lines if " out " in line}
        assert len(columns) == 1 and columns == {next(line.index("hello") for line in lines if "hello" in line)}


async def test_the_mark_column_does_not_depend_on_the_body() -> None:
    # Terminals disagree on how wide these are; nothing drawn after them may matter.
    bodies = ["👨\u200d👩\u200d👧\u200d👦 family", "🇺🇸🇫🇷 flags", "❤️ heart", "plain"]
    entries = [entry(n, outbound=True, state="delivered", body=body) for n, body in enumerate(bodies)]
    async with Host(entries).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        rows = [[segment.text for segment in conversation.render_line(y)] for y in range(conversation.size.height)]
        rows = [texts for texts in rows if "✓✓" in texts]
        assert len(rows) == len(bodies)
        for texts, body in zip(rows, bodies):
            mark_at = texts.index("✓✓")
            before = "".join(texts[:mark_at])
            assert before.startswith("09:") and before.endswith("you         ")  # only ASCII before it
            # After the mark: a space, the body, padding. No mark or state depends on the body's width.
            after = "".join(texts[mark_at + 1 :])
            assert after.strip() == body and "✓" not in after


async def test_network_text_is_shown_literally() -> None:
    body = "[bold]hi[/] [@click=app.quit]x[/] \x1b[31mred\x07 \x9b2J end"
    async with Host([entry(0, body=body, author="[red]Eve\x1b]0;t\x07")]).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        rendered = text_of(conversation)
        assert "[bold]hi[/] [@click=app.quit]x[/] ␛[31mred␇ <U+009B>2J end" in rendered
        assert "[red]Eve" in rendered
        assert not any(ch in rendered for ch in "\x1b\x07\x9b")
        # No segment carries an action or link from the text.
        strips = [conversation.render_line(y) for y in range(conversation.size.height)]
        # (Only the selection's `offset`: where a character is, for the mouse.)
        styles = [segment.style for strip in strips for segment in strip if segment.style]
        assert all(set(style.meta) <= {"offset"} and not style.link for style in styles)


async def test_long_bodies_wrap_with_a_hanging_indent() -> None:
    words = " ".join(f"word{n}" for n in range(40))
    async with Host([entry(0, body=words)]).run_test(size=SIZE) as pilot:
        lines = [line for line in screen_lines(pilot.app.query_one(Conversation)) if "word" in line]
        assert len(lines) >= 3
        indent = lines[0].index("word0")
        assert all(line[:indent].strip() == "" and line[indent] == "w" for line in lines[1:])
        assert " ".join(" ".join(line.split()[2:]) if i == 0 else line.strip() for i, line in enumerate(lines)) == words


async def test_day_separators() -> None:
    entries = [
        entry(0, at=datetime(2020, 9, 14, 9, 0, tzinfo=timezone.utc)),
        entry(1, at=datetime(2020, 9, 14, 9, 5, tzinfo=timezone.utc)),
        entry(2, at=datetime(2020, 9, 15, 22, 0, tzinfo=timezone.utc)),
        entry(3, at=datetime(2020, 9, 16, 8, 0, tzinfo=timezone.utc)),
        entry(4, at=datetime(2019, 12, 31, 8, 0, tzinfo=timezone.utc), uid="old"),
    ]
    async with Host(entries[4:] + entries[:4]).run_test(size=SIZE) as pilot:
        separators = [line.strip("─ ") for line in screen_lines(pilot.app.query_one(Conversation)) if "──" in line]
        assert separators == ["Tue 31 Dec 2019", "Mon 14 Sep", "Yesterday", "Today"]


async def test_add_entries_merges_by_uid() -> None:
    async with Host(many(3)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.add_entries([entry(1, body="edited"), entry(3), entry(3, body="message 3 again")])
        await pilot.pause()
        assert [e.uid for e in conversation.entries] == ["m0", "m1", "m2", "m3"]
        rendered = text_of(conversation)
        assert rendered.count("edited") == 1 and "message 1" not in rendered
        assert rendered.count("message 3") == 1 and "message 3 again" in rendered
        assert conversation.newest_uid == "m3" and conversation.oldest_uid == "m0"
        assert conversation.get("m1").body == "edited" and conversation.get("zz") is None


async def test_a_batch_of_new_entries_is_taken_as_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of new entries in order (a catch-up's, taken in a few passes) leaves the conversation as the
    entry-by-entry merge does: entries, uid lookups, heights, the new-message count, the screen. Batches that
    are not all new and in order (an update, a repeated uid, one out of order) are merged either way."""
    batches = [
        [entry(n, body="word " * (n % 37)) for n in range(100, 400)] + [entry(400, outbound=True)],
        [entry(401), entry(402, body="edited"), entry(402), entry(403)],
        [entry(404), entry(399, uid="m399b"), entry(405)],
        [entry(3, body="changed"), entry(406)],
        [entry(407, body="word " * 30), entry(408)],
    ]

    async def after() -> tuple:
        async with Host(many(50)).run_test(size=SIZE) as pilot:
            conversation = pilot.app.query_one(Conversation)
            await pilot.pause()
            conversation.scroll_to(y=5, animate=False)
            await pilot.pause()
            for batch in batches:
                conversation.add_entries(batch)
            await pilot.pause()
            entries = list(conversation.entries)
            heights = [conversation._lines.height(i) for i in range(len(entries))]
            found = [conversation.get(e.uid) is e for e in entries]
            return entries, heights, conversation._lines.total, found, conversation.new_count, screen_lines(conversation)

    taken = await after()
    monkeypatch.setattr(Conversation, "_append_new", lambda self, batch, seq: False)
    merged = await after()
    assert taken == merged
    assert all(taken[3]) and taken[4] == 309 and len(taken[0]) == 50 + 301 + 3 + 3 + 1 + 2


async def test_lines_rendered_ahead_are_the_ones_drawn_when_their_entries_come(monkeypatch: pytest.MonkeyPatch) -> None:
    """A catch-up's newest page rendered while its walk waits: once the batch is added, the frame draws those
    lines without making them again, and the screen is the one drawn without rendering ahead (a day change
    in the page keeps its separator)."""
    next_day = NOW + timedelta(days=1)
    batch = [entry(n, at=next_day if n >= 150 else None) for n in range(100, 160)]
    render_block = Conversation._render_block

    async def shown(ahead: bool) -> tuple[list[str], list[str]]:
        made: list[str] = []
        monkeypatch.setattr(Conversation, "_render_block", lambda self, e, sep: made.append(e.uid) or render_block(self, e, sep))
        async with Host(many(50)).run_test(size=SIZE) as pilot:
            conversation = pilot.app.query_one(Conversation)
            await pilot.pause()
            if ahead:
                conversation.render_ahead(batch[20:])
                made.clear()
            conversation.add_entries(batch)
            await pilot.pause()
            return screen_lines(conversation), made

    lines, made_after = await shown(ahead=True)
    plain, made_plain = await shown(ahead=False)
    assert lines == plain
    assert any("──" in line for line in lines)  # the day changes on screen
    on_screen = {e.uid for e in batch if any(line.endswith(e.body) for line in lines)}
    assert len(on_screen) > 10 and on_screen <= set(made_plain)
    assert not on_screen & set(made_after)  # drawn from the lines rendered ahead


async def test_a_uid_given_twice_is_shown_once() -> None:
    """At its first place, with its last value (as an update in place); found when the uids are first looked up."""
    given = [entry(0), entry(1), entry(2), entry(1, body="edited"), entry(3)]
    async with Host(given).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        assert [e.uid for e in conversation.entries] == ["m0", "m1", "m2", "m3"]
        assert conversation.get("m1").body == "edited"
        await pilot.pause()
        rendered = text_of(conversation)
        assert rendered.count("edited") == 1 and "message 1" not in rendered
        conversation.add_entries([entry(4)])
        await pilot.pause()
        assert "message 4" in text_of(conversation)


async def test_follows_the_bottom_only_when_the_reader_is_there() -> None:
    async with Host(many(100)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        assert conversation.pinned
        conversation.add_entries([entry(100)])
        await pilot.pause()
        assert screen_lines(conversation)[-1].endswith("message 100")

        conversation.scroll_to(y=20, animate=False)
        await pilot.pause()
        assert not conversation.pinned
        before = screen_lines(conversation)
        conversation.add_entries([entry(101), entry(102), entry(103, outbound=True)])
        await pilot.pause()
        after = screen_lines(conversation)
        assert after[:-1] == before[:-1]  # the reader's place is kept
        assert after[-1].strip() == "↓ 2 new messages"  # own messages aren't "new"
        assert conversation.new_count == 2

        conversation.focus()
        await pilot.press("end")
        assert conversation.pinned and conversation.new_count == 0
        lines = screen_lines(conversation)
        assert lines[-1].endswith("message 103")


async def test_new_lines_move_the_scrollbar_without_laying_out_the_screen() -> None:
    # A virtual size set through the reactive laid out the whole screen, and so
    # repainted every widget on it, for each batch of a burst (issue #19): the
    # keys typed meanwhile waited for it. The height on screen does not follow
    # the lines here, so only the scrollbar has to.
    async with Host(many(100)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        await pilot.pause()
        assert conversation.show_vertical_scrollbar
        conversation.add_entries(many(5, start=100))
        assert not conversation._layout_required
        await pilot.pause()
        assert conversation.vertical_scrollbar.window_virtual_size == conversation.virtual_size.height
        assert conversation.virtual_size.height == conversation.max_scroll_y + conversation.scrollable_content_region.height
        assert screen_lines(conversation)[-1].endswith("message 104")


async def test_the_scrollbar_is_drawn_again_only_when_its_thumb_moves() -> None:
    # Textual draws a scrollbar again for any move of its window, even one it
    # cannot show (less than an eighth of a cell): in a long conversation that
    # follows its newest message, every frame of a burst (issue #19).
    from textual.scrollbar import ScrollBar

    drawn: list[int] = []
    render = ScrollBar.render

    def counting(bar: ScrollBar):  # noqa: ANN202
        drawn.append(1)
        return render(bar)

    async with Host(many(3000)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        bar = conversation.vertical_scrollbar
        await pilot.pause()
        crop = bar.size.region
        ScrollBar.render = counting  # type: ignore[method-assign]
        try:
            for n in range(3000, 3010):  # one line each: a sliver of an eighth of a cell
                conversation.add_entries([entry(n)])
                await pilot.pause()
        finally:
            ScrollBar.render = render  # type: ignore[method-assign]
        assert conversation.scroll_y == conversation.max_scroll_y  # it followed the newest
        assert not drawn, "drawn again for moves it cannot show"
        # What is on screen is what Textual's own scrollbar draws for this window.
        assert [s.text for s in bar.render_lines(crop)] == [s.text for s in ScrollBar.render_lines(bar, crop)]
        thumb = bar._thumb()
        conversation.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        assert bar._thumb() != thumb
        assert [s.text for s in bar.render_lines(crop)] == [s.text for s in ScrollBar.render_lines(bar, crop)]


async def test_a_scrollbar_that_would_draw_the_same_is_not_repainted() -> None:
    # Each message refreshes the scrollbar, and the compositor cut and encoded its column and
    # every row of the conversation beside it again: a frame of 6 ms for nothing (issue #19).
    from plow_tui.tui.widgets.steady_scrollbar import SteadyScrollBar

    async with Host(many(3000)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        bar = conversation.vertical_scrollbar
        await pilot.pause()
        composited: list[str] = []
        bar_lines, conversation_lines = SteadyScrollBar.render_lines, Conversation.render_lines
        SteadyScrollBar.render_lines = lambda self, crop: composited.append("bar") or bar_lines(self, crop)  # type: ignore[method-assign]
        Conversation.render_lines = lambda self, crop: composited.append("conversation") or conversation_lines(self, crop)  # type: ignore[method-assign]
        try:
            bar.refresh()
            await pilot.pause()
            assert composited == []
            bar.position = 0  # the thumb moves to the top: drawn again
            await pilot.pause()
            assert "bar" in composited
        finally:
            SteadyScrollBar.render_lines, Conversation.render_lines = bar_lines, conversation_lines  # type: ignore[method-assign]
        assert bar._thumb() is not None and bar._thumb()[0] == 0


async def test_a_scrollbar_drawn_in_part_with_a_moved_thumb_is_repainted_whole() -> None:
    # A frame may draw a few rows of the bar (another widget changed beside them, see
    # ChangedRowsCompositor): with the thumb moved, the rest of the column still shows the old one.
    from textual.geometry import Region

    async with Host(many(3000)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        bar = conversation.vertical_scrollbar
        await pilot.pause()
        bar.position = 0
        bar.render_lines(Region(0, 0, bar.size.width, 2))  # two rows drawn with the thumb at the top
        bar.refresh()
        assert bar._exchange_repaint_regions()


async def test_reaching_the_bottom_clears_the_new_marker() -> None:
    async with Host(many(100)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        await pilot.pause()
        conversation.scroll_to(y=10, animate=False)
        await pilot.pause()
        conversation.add_entries([entry(100)])
        await pilot.pause()
        assert "↓ 1 new message" in screen_lines(conversation)[-1]
        conversation.scroll_end(animate=False)
        await pilot.pause()
        assert conversation.new_count == 0
        assert screen_lines(conversation)[-1].endswith("message 100")


async def test_prepend_older_keeps_the_visible_lines_steady() -> None:
    async with Host(many(60, start=100)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        await pilot.pause()
        conversation.scroll_to(y=0, animate=False)
        await pilot.pause()
        before = screen_lines(conversation)
        older = [entry(n, at=NOW - timedelta(days=2, minutes=100 - n)) for n in range(100)]
        conversation.prepend_older(older)
        await pilot.pause()
        assert screen_lines(conversation) == before
        assert conversation.scroll_y > 0
        assert conversation.oldest_uid == "m0" and len(conversation.entries) == 160

        # Same day as the top entry: its day separator goes, the rest stays put.
        conversation.scroll_to(y=0, animate=False)
        await pilot.pause()
        before = screen_lines(conversation)
        same_day = [entry(-5, at=NOW - timedelta(days=2, minutes=200))]
        conversation.prepend_older(same_day)
        await pilot.pause()
        assert screen_lines(conversation)[1:] == before[1:]


async def test_prepend_skips_entries_already_shown() -> None:
    async with Host(many(5, start=10)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.prepend_older([entry(9), entry(10, body="updated")])
        await pilot.pause()
        assert [e.uid for e in conversation.entries] == ["m9", "m10", "m11", "m12", "m13", "m14"]
        assert text_of(conversation).count("updated") == 1


async def test_near_top_is_posted_once_per_approach() -> None:
    async with Host(many(200)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        app = pilot.app
        await pilot.pause()
        assert app.near_top == []
        for y in (50, 10, 3, 2, 1, 0):
            conversation.scroll_to(y=y, animate=False)
            await pilot.pause()
        assert len(app.near_top) == 1
        assert app.near_top[0].oldest_uid == "m0"
        conversation.scroll_to(y=40, animate=False)
        await pilot.pause()
        conversation.scroll_to(y=0, animate=False)
        await pilot.pause()
        assert len(app.near_top) == 2


async def test_a_short_conversation_asks_for_older_pages() -> None:
    async with Host(many(3)).run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert len(pilot.app.near_top) == 1


async def test_update_state_replace_and_remove() -> None:
    async with Host(many(2)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.add_entries([entry(9, uid="local-1", outbound=True, state="sending", body="hi")])
        conversation.replace("local-1", entry(9, uid="srv-9", outbound=True, state="sent", body="hi"))
        assert conversation.update_state("srv-9", "delivered")
        assert not conversation.update_state("nope", "sent")
        await pilot.pause()
        lines = [line for line in screen_lines(conversation) if " hi" in line]
        assert len(lines) == 1 and lines[0].endswith("you         ✓✓ hi")

        # The real message arrived over the stream before the send returned.
        conversation.add_entries([entry(10, uid="local-2", outbound=True, state="sending", body="yo")])
        conversation.add_entries([entry(10, uid="srv-10", outbound=True, state="sent", body="yo")])
        conversation.replace("local-2", entry(10, uid="srv-10", outbound=True, state="sent", body="yo"))
        await pilot.pause()
        assert [e.uid for e in conversation.entries] == ["m0", "m1", "srv-9", "srv-10"]

        assert conversation.remove_entry("m0") and not conversation.remove_entry("m0")
        conversation.clear()
        await pilot.pause()
        assert len(conversation.entries) == 0
        assert "No messages yet" in text_of(conversation)


async def test_empty_state_text_is_settable() -> None:
    async with Host().run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.empty_text = "Nobody has written yet"
        await pilot.pause()
        assert "Nobody has written yet" in text_of(conversation)


async def test_cursor_keys_copy_and_open_link() -> None:
    entries = many(40) + [entry(40, body="see https://example.com/a?b=1). ok"), entry(41, body="last")]
    async with Host(entries).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.focus()
        await pilot.pause()
        assert conversation.check_action("copy", ()) is False
        assert conversation.check_action("open_link", ()) is False

        await pilot.press("k")
        assert conversation.selected_uid == "m41"
        assert conversation.check_action("open_link", ()) is False
        await pilot.press("up")
        assert conversation.selected_uid == "m40"
        await pilot.press("y", "o")
        assert pilot.app.clipboard == "see https://example.com/a?b=1). ok"
        assert pilot.app.opened == ["https://example.com/a?b=1"]

        await pilot.press("g")
        assert conversation.selected_uid == "m0" and conversation.scroll_y == 0
        await pilot.press("j", "down")
        assert conversation.selected_uid == "m2"
        await pilot.press("pagedown")
        assert conversation.selected_uid not in ("m2", "m41")
        await pilot.press("G")
        assert conversation.selected_uid == "m41" and conversation.pinned


async def test_copy_drops_control_characters() -> None:
    async with Host([entry(0, body="a\x1b[2Jb\nc")]).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.focus()
        await pilot.press("k", "y")
        assert pilot.app.clipboard == "a[2Jb\nc"


async def test_click_selects_a_message() -> None:
    async with Host(many(3)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        row = next(y for y, line in enumerate(screen_lines(conversation)) if line.endswith("message 1"))
        await pilot.click(Conversation, offset=(20, row))
        assert conversation.selected_uid == "m1"
        line = conversation.render_line(row)
        assert any(segment.style and segment.style.bgcolor for segment in line)


async def test_opening_is_lazy_for_long_conversations() -> None:
    async with Host(many(100_000)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        await pilot.pause()
        # Only what is on screen has been wrapped, and nothing was looked up by uid:
        # the uid index is built when first needed (here, by the message that arrives).
        assert len(conversation._blocks) < 100
        assert conversation._seq is None
        assert screen_lines(conversation)[-1].endswith("message 99999")
        conversation.add_entries([entry(100_000)])
        assert conversation._seq is not None and len(conversation._seq) == 100_001
        await pilot.pause()
        assert screen_lines(conversation)[-1].endswith("message 100000")
        conversation.focus()
        await pilot.press("g")
        assert "message 0" in text_of(conversation)


async def test_a_live_chat_keeps_what_it_rendered_bounded() -> None:
    # Issue #13's soak: the strips of every message ever shown were kept, and
    # an open chat receiving a text a second grew by 14 MiB in half an hour.
    def strips_alive() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, Strip))

    async with Host().run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)

        async def arrive(start: int, count: int) -> None:
            for n in range(start, start + count):  # one at a time, shown at the bottom, as a live chat does
                conversation.add_entries([entry(n)])
                if n % 20 == 0:
                    await pilot.pause()
            await pilot.pause()

        kept = blocks_kept(conversation.scrollable_content_region.height)
        assert conversation._blocks.maxsize == kept
        await arrive(0, kept)
        warm = strips_alive()
        await arrive(kept, 4 * kept)
        assert len(conversation._blocks) <= kept
        assert strips_alive() < warm * 1.1, (warm, strips_alive())
        assert screen_lines(conversation)[-1].endswith(f"message {5 * kept - 1}")
        conversation.focus()
        await pilot.press("g")  # what fell out is wrapped again when scrolled back to
        assert "message 0" in text_of(conversation)


async def test_the_rendered_entries_kept_follow_the_window_height() -> None:
    # Three screens' worth: a taller window keeps more, a shorter one drops the rest at once.
    async with Host([entry(n) for n in range(600)]).run_test(size=(100, 80)) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.focus()
        for _ in range(4):
            await pilot.press("pageup")
        await pilot.pause()
        tall = blocks_kept(conversation.scrollable_content_region.height)
        assert conversation._blocks.maxsize == tall and len(conversation._blocks) > blocks_kept(10)
        await pilot.resize_terminal(100, 12)
        await pilot.pause()
        short = blocks_kept(conversation.scrollable_content_region.height)
        assert short < tall
        assert conversation._blocks.maxsize == short and len(conversation._blocks) <= short


async def test_near_top_is_told_again_after_a_jump_to_the_newest() -> None:
    # The screen may ignore a NearTop (a page is loading, or none is left yet): the
    # reader who jumps to the newest and comes back to the top must tell it again.
    async with Host([entry(n) for n in range(200)]).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.focus()
        await pilot.press("g")
        await pilot.pause()
        assert len(pilot.app.near_top) == 1
        conversation.scroll_to_newest()  # what sending a text does
        await pilot.pause()
        assert conversation.pinned
        await pilot.press("g")
        await pilot.pause()
        assert len(pilot.app.near_top) == 2


async def test_a_placeholder_replaced_by_its_server_message_moves_to_the_server_s_place() -> None:
    # Texts typed offline and sent after a restart: the first two came back by the stream (the
    # placeholders went away, the messages came last), then the third's POST answered first. Its
    # placeholder sat above the other two; the server's message must not stay there.
    async with Host([entry(1, uid="local-three", outbound=True, state="waiting"), entry(5), entry(6)]).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.replace("local-three", entry(9, uid="three", outbound=True, state="sent"))
        await pilot.pause()
        assert [e.uid for e in conversation.entries] == ["m5", "m6", "three"]
        assert text_of(conversation).index("message 6") < text_of(conversation).index("message 9")


async def test_scrolling_into_estimated_entries_does_not_jump() -> None:
    # Long bodies make the height estimates wrong; the lines already on screen
    # must still stay where they are while the new ones get measured.
    entries = [entry(n, body="line\n" * (n % 5) + "word " * (n % 7 * 9) + f"end{n}") for n in range(300)]
    async with Host(entries).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        await pilot.pause()
        for _ in range(40):
            before = screen_lines(conversation)
            conversation.scroll_to(y=conversation.scroll_y - 1, animate=False)
            await pilot.pause()
            assert screen_lines(conversation)[1:] == before[:-1]


async def test_resize_rewraps_and_stays_at_the_bottom() -> None:
    words = " ".join(f"w{n}" for n in range(60))
    async with Host(many(50) + [entry(50, body=words)]).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        wide = [line for line in screen_lines(conversation) if " w" in line]
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        narrow = [line for line in screen_lines(conversation) if " w" in line]
        assert len(narrow) > len(wide)
        assert narrow[-1].rstrip().endswith("w59")
        assert all(len(line) <= 60 for line in screen_lines(conversation))


def test_entries_need_aware_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Entry("x", "Ada", "hi", datetime(2020, 1, 1), outbound=False)


async def test_remove_entry_removes_an_entry_and_remove_keeps_textuals_meaning() -> None:
    async with Host(many(3)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        assert conversation.remove_entry("m1") is True
        assert [e.uid for e in conversation.entries] == ["m0", "m2"]
        await conversation.remove()
        assert not pilot.app.query(Conversation)


async def test_keys_and_clicks_on_an_empty_conversation_do_nothing() -> None:
    async with Host().run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        conversation.focus()
        await pilot.press("k", "j", "g", "G", "pageup", "pagedown", "y", "o")
        await pilot.click(Conversation, offset=(5, 5))
        assert conversation.selected_uid is None and pilot.app.opened == []


async def test_entries_keep_server_order_when_a_backfill_brings_an_earlier_one() -> None:
    # After a reconnect, the backfill can hold an inbound text the server has
    # 40 ms before one of mine already shown: it goes above mine, not below.
    async with Host(many(2)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        mine = entry(5, uid="msg_mine", outbound=True, state="sent")
        conversation.add_entries([mine])
        earlier = entry(5, uid="msg_theirs", at=mine.at - timedelta(milliseconds=40), body="theirs first")
        conversation.add_entries([earlier])
        await pilot.pause()
        assert [e.uid for e in conversation.entries] == ["m0", "m1", "msg_theirs", "msg_mine"]
        lines = screen_lines(conversation)
        assert [i for i, line in enumerate(lines) if "theirs first" in line] < [
            i for i, line in enumerate(lines) if "message 5" in line
        ]
        # Positions stay right for what comes next.
        conversation.update_state("msg_mine", "delivered")
        conversation.add_entries([entry(9)])
        assert conversation.get("msg_mine").state == "delivered" and conversation.newest_uid == "m9"


async def test_dragging_the_mouse_selects_text_across_messages() -> None:
    async with Host(many(3) + [entry(3, body="café ☕ wide")]).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        lines = screen_lines(conversation)
        first = next(y for y, line in enumerate(lines) if line.endswith("message 1"))
        last = next(y for y, line in enumerate(lines) if line.endswith("☕ wide"))
        start_x = lines[first].index("message 1") + len("message ")
        end_x = lines[last].index("café") + len("café ☕")
        await pilot.mouse_down(Conversation, offset=(start_x, first))
        await pilot.hover(Conversation, offset=(end_x - 1, last))  # on ☕ (two cells wide), inclusive
        await pilot.mouse_up(Conversation, offset=(end_x - 1, last))
        selected = pilot.app.screen.get_selected_text()
        assert selected is not None
        assert selected.startswith("1\n") and selected.endswith("café ☕")
        assert "message 2" in selected
        # What is selected is drawn selected.
        row = conversation.render_line(first)
        assert any(segment.style and segment.style.bgcolor for segment in row)


async def test_a_selection_reads_only_the_lines_it_spans() -> None:
    from textual.geometry import Offset
    from textual.selection import Selection

    async with Host(many(2000)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        bottom = conversation.virtual_size.height - 1
        text, ending = conversation.get_selection(Selection(Offset(0, bottom - 1), Offset(999, bottom)))
        assert text.splitlines()[-1].endswith("message 1999") and ending == "\n"
        assert len(conversation._blocks) < 100  # the old ones were never wrapped


async def test_a_double_click_selects_the_message() -> None:
    async with Host(many(3)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        row = next(y for y, line in enumerate(screen_lines(conversation)) if line.endswith("message 1"))
        await pilot.click(Conversation, offset=(20, row), times=2)
        selected = pilot.app.screen.get_selected_text()
        assert selected is not None and selected.endswith("message 1") and "message 2" not in selected


@contextlib.asynccontextmanager
async def typing_with_a_repaint_held(monkeypatch) -> AsyncIterator[tuple[PaintedHost, Any, Conversation]]:
    """The reader types: "firstone" arrives and is painted at once, then "heldback" arrives and is held.

    The repaint interval and the typing hold are 600 s, so within a test no
    timer falls and the reader is still typing however slow the machine is.
    """
    import plow_tui.tui.widgets.conversation as module

    monkeypatch.setattr(module, "TYPING_REPAINT_INTERVAL", 600.0)  # "later" = never, within the test
    monkeypatch.setattr(module, "TYPING_HOLD", 600.0)  # still typing however slow the machine is
    app = PaintedHost(many(5))
    async with app.run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        await pilot.pause()
        conversation.typing()
        conversation.add_entries([entry(5, body="firstone")])
        await pilot.pause()
        assert "firstone" in app.painted  # the first at once
        conversation.add_entries([entry(6, body="heldback")])
        await pilot.pause()
        yield app, pilot, conversation


async def test_while_the_reader_types_new_messages_are_painted_at_most_every_interval(monkeypatch) -> None:
    # In a burst, a conversation following its newest message is redrawn whole
    # each frame, and keys typed meanwhile waited behind those frames (issue #19).
    async with typing_with_a_repaint_held(monkeypatch) as (app, pilot, conversation):
        assert conversation.entries[-1].body == "heldback"
        assert "heldback" not in app.painted  # then at most every interval
        conversation.done_typing()  # a text sent: at once again, and what was held now
        await pilot.pause()
        assert "heldback" in app.painted
        conversation.add_entries([entry(7, body="afterwards")])
        await pilot.pause()
        assert "afterwards" in app.painted


def drawn(conversation: Conversation, *, fresh: bool = False) -> list[Strip]:
    """What the conversation draws on screen now (`fresh`: made again from nothing, no lines kept)."""
    if fresh:
        conversation._painted.clear()
        conversation._styles_cache.clear()
    return conversation.render_lines(conversation.size.region)


async def test_following_the_newest_message_makes_only_the_lines_it_brings_in() -> None:
    # Each message scrolled every row on screen to another line, and every row went
    # through Textual's styling pipeline again (most of a frame, issue #19).
    async with Host(many(200)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        await pilot.pause()
        made: list[int] = []
        render_line = Conversation.render_line

        def counting(self: Conversation, y: int) -> Strip:
            made.append(y)
            return render_line(self, y)

        Conversation.render_line = counting  # type: ignore[method-assign]
        try:
            for n in range(200, 205):
                made.clear()
                conversation.add_entries([entry(n)])
                await pilot.pause()
                assert 1 <= len(made) <= 3, made  # its line (and a little slack), not all 30 rows
                assert screen_lines(conversation)[-1].endswith(f"message {n}")
        finally:
            Conversation.render_line = render_line  # type: ignore[method-assign]


async def test_the_lines_kept_are_what_would_be_drawn_afresh(monkeypatch) -> None:
    # Whatever changed, a line kept from an earlier frame is the line the conversation draws now.
    import plow_tui.tui.widgets.conversation as module
    from textual.geometry import Offset
    from textual.selection import Selection

    monkeypatch.setattr(module, "TYPING_REPAINT_INTERVAL", 600.0)  # held means held, however slow the machine
    monkeypatch.setattr(module, "TYPING_HOLD", 600.0)

    async with Host(many(120) + [entry(120, outbound=True, state="sending", body="mine")]).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        await pilot.pause()

        async def check() -> None:
            await pilot.pause()
            assert drawn(conversation) == drawn(conversation, fresh=True)

        await check()
        conversation.add_entries([entry(121, body="a longer message " * 12)])
        await check()
        conversation.update_state("m120", "delivered")  # an entry on screen changes in place
        await check()
        conversation.focus()
        conversation.action_cursor_up()  # the cursor's line, in the focused colour
        await check()
        conversation.action_cursor_up()
        await check()
        conversation.blur()
        await check()
        conversation.scroll_to(y=conversation.max_scroll_y - 7, animate=False, immediate=True)
        conversation.add_entries([entry(122)])  # scrolled up: the "new messages" marker on the last row
        await check()
        conversation.mark_unread_from("m110")
        await check()
        bottom = conversation.virtual_size.height - 1
        pilot.app.screen.selections = {conversation: Selection(Offset(3, bottom - 20), Offset(9, bottom - 18))}
        await check()
        pilot.app.screen.selections = {}
        conversation.find("message 11")
        await check()
        pilot.app.theme = "textual-light" if pilot.app.theme != "textual-light" else "nord"
        await check()
        pilot.app.stylesheet.add_source("Conversation > .conversation--body { color: red; }", read_from=("test", ""))
        pilot.app.refresh_css(animate=False)  # a restyle that keeps the background
        await check()
        conversation.typing()  # repaints held: a frame drawn meanwhile still shows one moment, not two
        conversation.add_entries([entry(123)])
        await pilot.pause()
        conversation.add_entries([entry(124)])
        assert conversation._held is not None
        assert drawn(conversation) == drawn(conversation, fresh=True)
        conversation.done_typing()
        await check()
        await pilot.resize_terminal(80, 24)
        await check()
        conversation.scroll_to_newest()
        await check()


async def test_while_a_repaint_is_held_the_scrollbar_waits_for_it(monkeypatch) -> None:
    # Each message moves the scrollbar's window; drawn on its own, every message made a
    # frame while typing, and each frame makes the next key wait for the one after (issue #19).
    import plow_tui.tui.widgets.conversation as module
    from plow_tui.tui.widgets.steady_scrollbar import SteadyScrollBar

    monkeypatch.setattr(module, "TYPING_REPAINT_INTERVAL", 600.0)
    monkeypatch.setattr(module, "TYPING_HOLD", 600.0)  # still typing however slow the machine is
    async with Host(many(50)).run_test(size=SIZE) as pilot:
        conversation = pilot.app.query_one(Conversation)
        bar = conversation.vertical_scrollbar
        await pilot.pause()
        conversation.typing()
        conversation.add_entries([entry(50)])  # the first at once
        for _ in range(100):  # until that frame has drawn the bar as it is now
            await pilot.pause()
            if bar._drawn is not None and bar._drawn[0] == bar._looks():
                break
        drawn: list[int] = []
        render_lines = SteadyScrollBar.render_lines
        SteadyScrollBar.render_lines = lambda self, crop: drawn.append(1) or render_lines(self, crop)  # type: ignore[method-assign]
        try:
            for n in range(51, 71):  # held: the thumb shrinks meanwhile
                conversation.add_entries([entry(n)])
                await pilot.pause()
            assert conversation._held is not None and not drawn
            thumb = bar._thumb()
            conversation.done_typing()
            await pilot.pause()
            assert drawn  # with the conversation's repaint
        finally:
            SteadyScrollBar.render_lines = render_lines  # type: ignore[method-assign]
        assert bar._drawn is not None and bar._drawn[0][0] == thumb



async def test_a_held_repaint_that_is_due_follows_the_next_key(monkeypatch) -> None:
    # Painted whenever its timer fell, the held repaint often began just before a key, which then
    # waited behind the whole conversation; right after a key's frame it uses the pause before the next.
    async with typing_with_a_repaint_held(monkeypatch) as (app, pilot, conversation):
        conversation.typing()  # a key before the interval is over: still held
        await pilot.pause()
        assert "firstone" in app.painted and "heldback" not in app.painted
        conversation._painted_at -= 600.0  # the interval is over
        conversation.typing()  # the next key
        await wait_for(pilot, lambda: "heldback" in app.painted, what="the held repaint after the key")
        assert conversation._held is None


async def test_a_conversation_removed_after_its_frame_was_laid_out_still_draws() -> None:
    # Its chat deleted just after it was shown: a frame laid out before may still
    # draw it, with no screen left to ask for the selection (it raised NoScreen).
    from textual.geometry import Region

    app = Host(many(30))
    async with app.run_test(size=(60, 20)) as pilot:
        conversation = app.query_one(Conversation)
        await pilot.pause()
        await conversation.remove()
        strips = conversation.render_lines(Region(0, 0, 40, 5))
        assert len(strips) == 5
