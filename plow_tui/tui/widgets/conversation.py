"""The message pane: a Line API view of one conversation that stays fast at any length.

`Conversation` is the widget: its public API (entries in, selection and
search out), keys, the cursor, mouse selection and the lines it serves.
How entries become lines and stay cheap at any length is `conversation_layout`
(its base class, `EntryLayout`); how one entry is drawn is `conversation_render`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from itertools import count, islice
from operator import attrgetter, le
from time import monotonic
from typing import ClassVar, cast, overload

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.dom import NoScreen
from textual.geometry import Offset, Region
from textual.message import Message
from textual.reactive import reactive
from textual.selection import Selection
from textual.strip import Strip
from textual.timer import Timer

from plow_tui.record import replace
from plow_tui.terminal_text import safe_line
from plow_tui.tui.widgets.conversation_layout import DAY_CACHE, MIN_BLOCKS, Block, EntryLayout, LineIndex, blocks_kept
from plow_tui.tui.widgets.conversation_render import (
    EntryStyles,
    body_width_at,
    centered,
    render_entry,
    render_separator,
    styled_span,
)
from plow_tui.tui.widgets.painted_lines import PaintedLines
from plow_tui.tui.widgets.text import clipboard_text, display_time, first_url
from plow_tui.tui.widgets.view_models import Entry, server_order

# How many lines from the top count as "near the top" for loading older pages.
NEAR_TOP_LINES = 3
# While the reader types (see `Conversation.typing`), the conversation repaints
# at most this often, for this long after the last key.
TYPING_REPAINT_INTERVAL = 0.1
TYPING_HOLD = 0.5
# A selection offset past the end of any line.
_LINE_END = 1 << 30


class _EntriesView(Sequence[Entry]):
    """A read-only window onto the conversation's entries (no copy)."""

    def __init__(self, entries: list[Entry]) -> None:
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Entry]: ...
    def __getitem__(self, index: int | slice) -> Entry | Sequence[Entry]:
        if isinstance(index, slice):
            return tuple(self._entries[index])
        return self._entries[index]


class Conversation(EntryLayout, can_focus=True):
    """The messages of one chat (or Airy conversation), newest at the bottom.

    Follows new messages while the reader is at the bottom; otherwise counts
    them in a `↓ N new messages` marker. Posts `NearTop` when the reader
    nears the oldest loaded message. Takes `Entry` view models only: no
    client objects, no I/O.
    """

    # Text selection with the mouse, as Textual's own Line API `Log` does:
    # each served strip carries its (column, line) in `offset` metadata
    # (`Strip.apply_offsets`), the screen turns a drag into a `Selection` over
    # them, and `get_selection` reads the text of only the lines it spans.
    ALLOW_SELECT = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k,up", "cursor_up", "Previous", tooltip="Previous message", show=False),
        Binding("j,down", "cursor_down", "Next", tooltip="Next message", show=False),
        Binding("g,home", "first", "Oldest", tooltip="Oldest message", show=False),
        Binding("G,shift+g,end", "last", "Newest", tooltip="Newest message", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("y", "copy", "Copy", tooltip="Copy the selected message's text"),
        Binding("o", "open_link", "Open link"),
        Binding("n", "next_match", "Next match"),
        Binding("N,shift+n", "previous_match", "Previous match"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "conversation--time",
        "conversation--author",
        "conversation--author-you",
        "conversation--body",
        "conversation--body-you",
        "conversation--state",
        "conversation--state-failed",
        "conversation--separator",
        "conversation--unread",
        "conversation--cursor",
        "conversation--new",
        "conversation--empty",
        "conversation--match",
    }

    DEFAULT_CSS = """
    Conversation {
        background: $surface;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        & > .conversation--time { color: $text-muted; }
        & > .conversation--author { color: $text-secondary; text-style: bold; }
        & > .conversation--author-you { color: $text-accent; text-style: bold; }
        & > .conversation--body { color: $foreground; }
        & > .conversation--body-you { color: $foreground 85%; }
        & > .conversation--state { color: $text-success; }
        & > .conversation--state-failed { color: $text-error; text-style: bold; }
        & > .conversation--separator { color: $text-muted; }
        & > .conversation--unread { color: $text-accent; text-style: bold; }
        & > .conversation--cursor { background: $block-cursor-blurred-background; }
        &:focus > .conversation--cursor { background: $block-cursor-background 40%; }
        & > .conversation--new { background: $primary; color: $text; text-style: bold; }
        & > .conversation--empty { color: $text-muted; text-style: italic; }
        & > .conversation--match { background: $warning 70%; color: $text; text-style: bold; }
    }
    """

    @dataclass
    class NearTop(Message):
        """The reader is within a few lines of the oldest loaded message."""

        conversation: Conversation
        oldest_uid: str | None

        @property
        def control(self) -> Conversation:
            return self.conversation

        def can_replace(self, message: Message) -> bool:
            # Only the latest matters: a queued older one of the same conversation is dropped.
            return isinstance(message, Conversation.NearTop) and message.conversation is self.conversation

    @dataclass
    class SelectionChanged(Message):
        """The selected message changed (`uid` is None when nothing is selected)."""

        conversation: Conversation
        uid: str | None

        @property
        def control(self) -> Conversation:
            return self.conversation

        def can_replace(self, message: Message) -> bool:
            # Only the latest matters: a queued older one of the same conversation is dropped.
            return isinstance(message, Conversation.SelectionChanged) and message.conversation is self.conversation

    empty_text: reactive[str] = reactive("No messages yet. Say hello!")
    """Shown in the middle of the pane when there are no entries."""

    def __init__(
        self,
        entries: Iterable[Entry] = (),
        *,
        clock: Callable[[], datetime] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._entries: list[Entry] = []
        # uid -> sequence number; index = seq - _base. Prepending lowers _base
        # so an older page doesn't renumber every entry. Built when first needed (`_positions`).
        self._seq: dict[str, int] | None = None
        self._base = 0
        self._lines = LineIndex()
        self._width = 0  # width the heights are for; 0 until the first layout
        self._blocks: LRUCache[str, Block] = LRUCache(MIN_BLOCKS)  # sized to the viewport on resize
        self._styles: EntryStyles | None = None
        self._cursor: str | None = None
        self._pinned = True
        self._new_count = 0
        self._near_top_posted = False
        self._settling = False
        self._view: tuple[int, int] | None = None
        self._days: LRUCache[tuple[str, datetime], date] = LRUCache(DAY_CACHE)  # local day of entries shown
        self._find_words: list[str] = []  # an open search: its words, highlighted in bodies
        self._unread_from: str | None = None  # the entry the "new messages" line is drawn above
        self._painted = PaintedLines()  # finished lines by line number (see `render_lines`)
        self.set_entries(entries)

    # Repaints held back while the reader types (see `typing`).
    _typing_until = 0.0
    _painted_at = 0.0
    _held: Timer | None = None
    _after_key = False  # the held repaint waits for a key's frame (see `typing`)

    # ----------------------------------------------------------------- public API

    def typing(self) -> None:
        """The reader typed in the editor beside this conversation: repaint it at most every tenth of a second for a moment.

        A conversation that follows its newest message scrolls with each one,
        so in a burst every frame redrew all of it, and a key typed meanwhile
        waited behind those frames (issue #19: five times its idle latency).
        While typing, new messages show up to a tenth of a second later and the
        typed text at once. `done_typing` (a text sent) ends it.

        A held repaint that is due goes right after this key's text is painted:
        in the pause before the next key rather than whenever its timer falls,
        where the next key would wait behind it.
        """
        now = monotonic()
        self._typing_until = now + TYPING_HOLD
        held = self._held
        if held is not None and not self._after_key and now >= self._painted_at + TYPING_REPAINT_INTERVAL:
            held.stop()  # still held (not None) until it runs, so no other repaint starts meanwhile
            self._after_key = True
            self.call_after_refresh(self._repaint_held)

    def done_typing(self) -> None:
        """Repaint at once again (and now, if a repaint is being held)."""
        self._typing_until = 0.0
        if self._held is not None:
            self._held.stop()
            self._repaint_held()

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Conversation:
        if repaint and not (layout or recompose) and self._typing_until:
            now = monotonic()
            if now < self._typing_until and self.is_mounted:
                if self._held is not None:
                    return self  # the held repaint repaints everything
                wait = self._painted_at + TYPING_REPAINT_INTERVAL - now
                if wait > 0:
                    # Due after the interval, at the next key (see `typing`); without one, a moment later.
                    self._held = self.set_timer(wait + TYPING_REPAINT_INTERVAL, self._repaint_held)
                    return self
            self._painted_at = now
        super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        return self

    def _repaint_held(self) -> None:
        if self._held is None:
            return  # painted already (`done_typing` came first)
        self._held = None
        self._after_key = False
        self._painted_at = monotonic()
        super().refresh()
        if self._vertical_scrollbar is not None:
            self._vertical_scrollbar.refresh()  # held with it

    def _repaint_is_held(self) -> bool:
        return self._held is not None

    @property
    def entries(self) -> Sequence[Entry]:
        """All entries, oldest first (read-only)."""
        self._positions()  # a uid given twice is shown once
        return _EntriesView(self._entries)

    def get(self, uid: str) -> Entry | None:
        """The entry shown for `uid`, or None."""
        index = self._index(uid)
        return None if index is None else self._entries[index]

    @property
    def newest_uid(self) -> str | None:
        return self._entries[-1].uid if self._entries else None

    @property
    def oldest_uid(self) -> str | None:
        return self._entries[0].uid if self._entries else None

    @property
    def selected_uid(self) -> str | None:
        """The uid of the selected message, if any."""
        return self._cursor

    @property
    def new_count(self) -> int:
        """Messages that arrived while the reader was scrolled up."""
        return self._new_count

    @property
    def pinned(self) -> bool:
        """True while the view follows the newest message."""
        return self._pinned

    def set_entries(self, entries: Iterable[Entry]) -> None:
        """Replace everything with `entries` (oldest first) and show the newest."""
        # Nothing per entry here (see `_positions` and `_reestimate`): a uid given twice is found
        # when the uids are first looked up.
        self._entries = list(entries)
        self._seq = None
        self._base = 0
        self._blocks.clear()
        self._days.clear()
        self._cursor = None
        self._pinned = True
        self._new_count = 0
        self._near_top_posted = False
        self._reestimate()
        self._changed(None)
        self._check_near_top()

    def clear(self) -> None:
        """Remove every entry."""
        self.set_entries(())

    def add_entries(self, batch: Iterable[Entry]) -> None:
        """Add new entries in server order; an entry whose uid is already shown updates in place.

        Server order is time, then id (`server_order`). New entries nearly
        always come last and are appended; one that belongs earlier (a
        backfill after a reconnect holds a text the server has from before
        one shown meanwhile) puts everything back in order once per batch.
        One refresh per batch, so a backlog after a reconnect costs one repaint.
        """
        batch = list(batch)
        seq = self._positions()
        anchor = self._anchor()
        if not self._append_new(batch, seq):
            self._merge(batch, seq)
        self._changed(anchor)

    def _append_new(self, batch: list[Entry], seq: dict[str, int]) -> bool:
        """Append `batch` when every entry is new, each uid once, in server order after the last one shown.

        The usual batch (a catch-up's thousands, a burst), taken in a few passes
        at C speed instead of `_merge`'s loop (5,000 entries: ~9 -> ~2 ms). Any
        other batch: False, and nothing changed.
        """
        entries = self._entries
        fresh = dict(zip(map(attrgetter("uid"), batch), count(self._base + len(entries))))
        if len(fresh) != len(batch) or not seq.keys().isdisjoint(fresh):
            return False
        keys = list(map(server_order, batch))
        if entries and keys:
            keys.insert(0, server_order(entries[-1]))
        if not all(map(le, keys, islice(keys, 1, None))):
            return False
        seq.update(fresh)
        entries.extend(batch)
        if self._width:
            body_width = body_width_at(self._width)
            self._lines.extend([1 + len(entry.body) // body_width for entry in batch])  # `_estimate`, inlined
        arrivals = len(batch) - sum(map(attrgetter("outbound"), batch))
        if arrivals and not self._pinned:
            self._new_count += arrivals
        return True

    def _merge(self, batch: list[Entry], seq: dict[str, int]) -> None:
        """`add_entries` one entry at a time: updates in place, repeated uids, entries out of order."""
        arrivals = 0
        newest = server_order(self._entries[-1]) if self._entries else None
        out_of_order = False
        entries, lines = self._entries, self._lines
        # `_estimate` with the width worked out once, inlined.
        body_width = body_width_at(self._width) if self._width else 0
        for entry in batch:
            position = seq.get(entry.uid)
            if position is not None:
                entries[position - self._base] = entry
                continue
            seq[entry.uid] = self._base + len(entries)
            entries.append(entry)
            key = server_order(entry)
            if newest is not None and key < newest:
                out_of_order = True
            else:
                newest = key
            if body_width:
                lines.append(1 + len(entry.body) // body_width)
            arrivals += not entry.outbound
        if arrivals and not self._pinned:
            self._new_count += arrivals
        if out_of_order:
            self._put_in_order()

    def render_ahead(self, entries: Sequence[Entry]) -> None:
        """Render the lines of `entries` (oldest first) before they are added, while nothing waits for them.

        For a catch-up's newest page, while its walk waits for the server: once
        its batch comes they are the conversation's last lines, and the frame
        that shows them finds them made. Only while the reader follows the
        newest, only a screen's worth, and not the oldest of them (its day
        separator depends on the entry before it, not known yet). Lines made
        for another entry object, width or separator are made again when drawn.
        """
        if self._pinned and self.is_attached:  # (a pane being removed renders nothing ahead)
            self._render_ahead(entries)

    def _put_in_order(self) -> None:
        """Sort the entries into server order (stable) and rebuild what depends on positions."""
        self._entries.sort(key=server_order)
        self._seq = None
        self._blocks.clear()  # day separators depend on the entry before
        self._reestimate()

    def prepend_older(self, batch: Iterable[Entry]) -> None:
        """Put an older page (oldest first) above the current entries.

        The lines on screen stay where they are.
        """
        seq = self._positions()
        anchor = self._anchor()
        older: dict[str, Entry] = {}
        for entry in batch:
            index = self._index(entry.uid)
            if index is None:
                older[entry.uid] = entry
            else:
                self._entries[index] = entry
        if older:
            fresh = list(older.values())
            self._base -= len(fresh)
            seq.update(zip(older, count(self._base)))
            self._entries[:0] = fresh
            if self._width:
                self._lines.insert_front([self._estimate(entry) for entry in fresh])
            self._near_top_posted = False
        self._changed(anchor)
        if older:
            self._check_near_top()

    def update_state(self, uid: str, state: str | None) -> bool:
        """Change the delivery state of one entry; False if `uid` isn't shown."""
        index = self._index(uid)
        if index is None:
            return False
        anchor = self._anchor()
        self._entries[index] = replace(self._entries[index], state=state)
        self._changed(anchor)
        return True

    def replace(self, old_uid: str, entry: Entry) -> None:
        """Turn entry `old_uid` (say, a local "sending" placeholder) into `entry`.

        If `entry.uid` is already shown (the real message arrived first), the
        placeholder goes away instead, so the message is never shown twice.
        """
        index = self._index(old_uid)
        if index is None:
            self.add_entries([entry])
            return
        seq = self._positions()
        if entry.uid != old_uid and entry.uid in seq:
            self._entries[self._index(entry.uid)] = entry  # type: ignore[index]
            self.remove_entry(old_uid)
            return
        anchor = self._anchor()
        self._entries[index] = entry
        seq[entry.uid] = seq.pop(old_uid)
        if self._cursor == old_uid:
            self._cursor = entry.uid
        if anchor is not None and anchor[0] == old_uid:
            anchor = (entry.uid, anchor[1])
        if not self._in_order_at(index):
            # The server's time is not the placeholder's (a text typed offline goes out
            # later, after others): the message goes where the server puts it.
            self._put_in_order()
        self._changed(anchor)

    def _in_order_at(self, index: int) -> bool:
        """Whether the entry at `index` sits in server order between its neighbours."""
        entries, key = self._entries, server_order(self._entries[index])
        return (index == 0 or server_order(entries[index - 1]) <= key) and (
            index == len(entries) - 1 or key <= server_order(entries[index + 1])
        )

    def remove_entry(self, uid: str) -> bool:
        """Remove one entry; False if `uid` isn't shown.

        (Not `remove`: that is Textual's "remove this widget from the DOM".)
        """
        index = self._index(uid)
        if index is None:
            return False
        anchor = self._anchor()
        if anchor is not None and anchor[0] == uid:
            # Keep the reader near the same place: anchor on a neighbour.
            neighbour = index + 1 if index + 1 < len(self._entries) else index - 1
            anchor = (self._entries[neighbour].uid, 0) if neighbour >= 0 else None
        del self._entries[index]
        self._seq = None  # every later position moved
        self._base = 0
        if self._width:
            self._lines.delete(index)
        if self._cursor == uid:
            self._set_cursor(None)
        self._changed(anchor)
        return True

    @property
    def unread_from(self) -> str | None:
        """The entry the "new messages" line is drawn above (None: no line)."""
        return self._unread_from

    def mark_unread_from(self, uid: str | None) -> None:
        """Draw the "new messages" line above entry `uid` (None removes it); the reader's place is kept."""
        if uid == self._unread_from:
            return
        anchor = self._anchor()
        changed = [self._index(u) for u in (self._unread_from, uid) if u is not None]
        self._unread_from = uid
        for index in changed:
            if index is not None and self._width:
                self._measure(index)
        self._changed(anchor)

    def select(self, uid: str | None) -> None:
        """Select (and scroll to) the entry `uid`, or clear the selection."""
        if uid is not None and uid not in self._positions():
            return
        self._set_cursor(uid)
        if uid is not None:
            self._scroll_to_index(self._index(uid))  # type: ignore[arg-type]

    # ----------------------------------------------------------------- search

    @property
    def find_words(self) -> list[str]:
        return list(self._find_words)

    def find(self, query: str) -> int:
        """Highlight `query`'s words (see `plow_tui.store.search`) and select the newest match; how many match."""
        from plow_tui.store.search import query_words

        self._find_words = query_words(query)
        self._blocks.clear()  # heights do not change: only the body styles do
        self.refresh()
        self.refresh_bindings()
        matches = self.matches()
        if matches:
            self.select(matches[-1])
        return len(matches)

    def matches(self) -> list[str]:
        """The uids of the entries matching the open search, oldest first."""
        from plow_tui.store.search import match_spans

        words = self._find_words
        if not words:
            return []
        return [entry.uid for entry in self._entries if match_spans(entry.body, words)]

    def action_next_match(self) -> None:
        self._step_match(1)

    def action_previous_match(self) -> None:
        self._step_match(-1)

    def _step_match(self, direction: int) -> None:
        matches = self.matches()
        if not matches:
            return
        current = self._cursor_index()
        if current is None:
            target = matches[-1] if direction < 0 else matches[0]
        else:
            order = [self._index(uid) or 0 for uid in matches]
            later = [uid for uid, index in zip(matches, order) if (index - current) * direction > 0]
            if not later:
                self.app.bell()  # no more in that direction: stay
                return
            target = later[0] if direction > 0 else later[-1]
        self.select(target)

    def scroll_to_newest(self) -> None:
        """Jump to the newest message and follow new ones again."""
        self._pinned = True
        self._new_count = 0
        self._settle()
        self.refresh()

    # --------------------------------------------------------------- bookkeeping

    def _changed(self, anchor: tuple[str, int] | None) -> None:
        """After any change: keep the reader's place (or the bottom) and repaint once."""
        if self._cursor is not None and self._cursor not in self._positions():
            self._set_cursor(None)
        # First: while the reader types this decides whether the repaint is held, and the
        # scrollbar, refreshed by what follows, is held with it (see `typing`).
        self.refresh()
        if self._width:
            self._sync_virtual_size()
            if anchor is not None and not self._pinned:
                self._settling = True
                try:
                    self._restore(anchor)
                finally:
                    self._settling = False
            self._settle()

    # ----------------------------------------------------------------- styles and blocks

    def _style_set(self) -> EntryStyles:
        if self._styles is None:
            get = self.get_component_rich_style
            self._styles = EntryStyles(
                base=self.rich_style,
                time=get("conversation--time"),
                author=get("conversation--author"),
                author_you=get("conversation--author-you"),
                body=get("conversation--body"),
                body_you=get("conversation--body-you"),
                state=get("conversation--state"),
                state_failed=get("conversation--state-failed"),
                separator=get("conversation--separator"),
                unread=get("conversation--unread"),
                cursor=get("conversation--cursor", partial=True),
                new=get("conversation--new"),
                empty=get("conversation--empty"),
                match=get("conversation--match"),
            )
        return self._styles

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._view = None
        self._blocks.clear()
        self.refresh()

    def _render_block(self, entry: Entry, separator: str | None) -> list[Strip]:
        styles = self._style_set()
        time = f"{display_time(self.app, entry.at):%H:%M}"
        strips = render_entry(entry, self._width, styles, self.app.console, time, self._find_words)
        if separator is not None:
            strips.insert(0, render_separator(separator, self._width, styles))
        return strips

    # ----------------------------------------------------------------- layout events

    def on_resize(self, event: events.Resize) -> None:
        self._view = None
        width, height = self._viewport()
        kept = blocks_kept(height)
        if kept < self._blocks.maxsize:
            self._blocks.clear()  # an LRUCache only evicts one per insert: start the smaller one empty
        self._blocks.maxsize = kept
        if width != self._width:
            anchor = self._anchor()
            self._width = width
            self._reestimate()
            self._changed(anchor)
            self._check_near_top()
        else:
            self._changed(None)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(new_value) > NEAR_TOP_LINES:
            # Leaving the top re-arms NearTop, also when settling moved the view (a jump
            # to the newest): the screen may have ignored the last one (a page loading).
            self._near_top_posted = False
        if self._settling:
            return
        self._pinned = round(new_value) >= self.max_scroll_y
        if self._pinned and self._new_count:
            self._new_count = 0
            self.refresh()
        self._settle()
        self._check_near_top()

    def _check_near_top(self) -> None:
        if not self._width or self._viewport()[1] <= 0:
            return  # not laid out yet: every position looks like the top
        near = bool(self._entries) and round(self.scroll_y) <= NEAR_TOP_LINES
        if near and not self._near_top_posted:
            self._near_top_posted = True
            self.post_message(self.NearTop(self, self.oldest_uid))
        elif not near:
            self._near_top_posted = False

    # ----------------------------------------------------------------- rendering

    def render_lines(self, crop: Region) -> list[Strip]:
        """The lines in `crop`: those painted before at the same place in the conversation as they were, the rest made.

        See `PaintedLines`: following the newest message, a frame makes only
        the lines the scroll brought in, not every row on screen again.
        """
        self._settle()  # a safety net: normally already settled by the watchers
        width = self.region.width
        if not self._entries or not self._width or any(self.styles.gutter):
            return super().render_lines(crop)
        app = self.app
        painted = self._painted
        # What Textual adds to every line. (A restyle renders every entry again: new sources.)
        painted.check(
            (self.region.size, self.background_colors, tuple(self.get_line_filters()), self.opacity,
             app.ansi_theme, app.native_ansi_color)
        )
        top = round(self.scroll_y)
        _, height = self._viewport()
        marker_row = height - 1 if self._new_count else -1
        total = self._lines.total
        selection = self._selection()
        strips: list[Strip | None] = []
        sources: list[tuple[int, Block, tuple[object, ...]] | None] = []
        for y in crop.line_range:
            line = top + y
            if y >= height or y == marker_row or line >= total:
                strips.append(None)
                sources.append(None)
                continue
            index, offset = self._find(line)
            block = self._block(index)
            detail = (offset, block.entry.uid == self._cursor, selection.get_span(line) if selection is not None else None)
            strips.append(painted.get(line, block, detail))
            sources.append((line, block, detail))
        # The rest through Textual's pipeline, a run of rows at a time.
        start = 0
        while start < len(strips):
            if strips[start] is not None:
                start += 1
                continue
            end = start
            while end < len(strips) and strips[end] is None:
                end += 1
            rows = Region(0, crop.y + start, width, end - start)
            # Made now, from what is shown now: Textual's own cache of these rows may hold
            # lines that scrolled away since (they are not dirty to it while a repaint is held).
            self._styles_cache.set_dirty(rows)
            made = super().render_lines(rows)
            for row, strip in enumerate(made, start):
                strips[row] = strip
                source = sources[row]
                if source is not None:
                    painted.put(source[0], source[1], source[2], strip)
            start = end
        painted.keep(top - height, top + 2 * height, 4 * max(height, 1))
        if crop.column_span != (0, width):
            # Part of the rows (the compositor asks for the column under the scrollbar when
            # only the scrollbar changed): cut from the whole lines, as Textual does.
            x1, x2 = crop.column_span
            return [strip.crop(x1, x2) for strip in cast(list[Strip], strips)]
        return cast(list[Strip], strips)

    def render_line(self, y: int) -> Strip:
        width, height = self._viewport()
        styles = self._style_set()
        if not self._entries:
            if y == height // 2:
                return centered(safe_line(self.empty_text), width, styles.empty, styles)
            return Strip.blank(width, styles.base)
        if self._new_count and y == height - 1:
            noun = "message" if self._new_count == 1 else "messages"
            return centered(f" ↓ {self._new_count} new {noun} ", width, styles.new, styles)
        line = round(self.scroll_y) + y
        if not self._width or line >= self._lines.total:
            return Strip.blank(width, styles.base)
        index, offset = self._find(line)
        block = self._block(index)
        if offset >= len(block.strips):
            return Strip.blank(width, styles.base)
        # The offsets are cached on the block's strip, per line it is shown at.
        strip = block.strips[offset].apply_offsets(0, line)
        on_separator = block.separator is not None and offset == 0
        if block.entry.uid == self._cursor and not on_separator:
            strip = Strip(Segment.apply_style(strip, post_style=styles.cursor), strip.cell_length)
        selection = self._selection()
        if selection is not None:
            span = selection.get_span(line)
            if span is not None:
                strip = styled_span(strip, *span, self.screen.get_component_rich_style("screen--selection"))
        return strip

    # ----------------------------------------------------------------- text selection

    def _selection(self) -> Selection | None:
        """The text selected in the conversation, if any.

        A frame laid out before the conversation was removed (its chat deleted
        just after it was shown) may still draw it: then it has no screen to
        ask, and nothing is selected.
        """
        try:
            return self.text_selection
        except NoScreen:
            return None

    @property
    def allow_select(self) -> bool:
        # A ScrollView is a container, which Textual would not let be selected.
        return True

    def _line_text(self, line: int) -> str:
        """What virtual line `line` shows, as selection offsets count it (a day separator: its label)."""
        index, offset = self._find(line)
        block = self._block(index)
        if offset >= len(block.strips):
            return ""
        text = block.strips[offset].text
        if block.separator is not None and offset == 0:
            return text.strip(" ─")
        return text.rstrip()

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text, reading (and wrapping) only the lines the selection spans."""
        if not self._entries or not self._width:
            return None
        start = selection.start or Offset(0, 0)
        end = selection.end or Offset(_LINE_END, self._lines.total - 1)
        first, last = start.y, min(end.y, self._lines.total - 1)
        if last < first:
            return None
        text = "\n".join(self._line_text(line) for line in range(first, last + 1))
        shifted = Selection(Offset(start.x, 0), Offset(end.x, last - first))
        return shifted.extract(text), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    def text_select_all(self) -> None:
        """A double click selects the message under the mouse, not every loaded line."""
        index = self._cursor_index()
        if index is None or not self._width:
            return
        self._measure(index)
        block = self._block(index)
        start = self._lines.start(index) + (1 if block.separator is not None else 0)
        end = self._lines.start(index) + len(block.strips) - 1
        self.screen.selections = {self: Selection(Offset(0, start), Offset(_LINE_END, end))}

    # ----------------------------------------------------------------- selection

    def _set_cursor(self, uid: str | None) -> None:
        if uid == self._cursor:
            return
        self._cursor = uid
        self.refresh()
        self.refresh_bindings()
        self.post_message(self.SelectionChanged(self, uid))

    def _scroll_to_index(self, index: int) -> None:
        """Scroll just enough to show entry `index` whole (or its top, if taller)."""
        if not self._width:
            return  # not laid out yet: nothing is measured, and the first layout shows the newest
        self._measure(index)
        self._sync_virtual_size()
        _, height = self._viewport()
        top = round(self.scroll_y)
        start = self._lines.start(index)
        end = start + self._lines.height(index)
        if index == len(self._entries) - 1:
            self.scroll_to_newest()
            return
        if start < top:
            self._set_scroll(start)
        elif end > top + height - (1 if self._new_count else 0):
            self._set_scroll(min(start, end - height))

    def _cursor_index(self) -> int | None:
        return None if self._cursor is None else self._index(self._cursor)

    def _visible_last(self) -> int:
        """The newest entry whose first line is on screen."""
        _, height = self._viewport()
        if not self._width:
            return len(self._entries) - 1
        bottom = min(round(self.scroll_y) + height - 1, self._lines.total - 1)
        index, _ = self._find(max(0, bottom))
        return index

    def _move_cursor(self, index: int) -> None:
        if not self._entries:
            return
        index = max(0, min(index, len(self._entries) - 1))
        self._set_cursor(self._entries[index].uid)
        self._scroll_to_index(index)

    def action_cursor_up(self) -> None:
        if not self._entries:
            return
        current = self._cursor_index()
        self._move_cursor(self._visible_last() if current is None else current - 1)

    def action_cursor_down(self) -> None:
        if not self._entries:
            return
        current = self._cursor_index()
        self._move_cursor(self._visible_last() if current is None else current + 1)

    def action_first(self) -> None:
        self._move_cursor(0)

    def action_last(self) -> None:
        if self._entries:
            self._set_cursor(self._entries[-1].uid)
        self.scroll_to_newest()

    def _page(self, direction: int) -> None:
        if not self._entries or not self._width:
            return
        _, height = self._viewport()
        current = self._cursor_index()
        if current is None:
            current = self._visible_last()
        self._measure(current)
        target = self._lines.start(current) + direction * max(1, height - 1)
        target = max(0, min(target, self._lines.total - 1))
        self._move_cursor(self._find(target)[0])

    def action_page_up(self) -> None:
        self._page(-1)

    def action_page_down(self) -> None:
        self._page(1)

    def _selected_entry(self) -> Entry | None:
        index = self._cursor_index()
        return None if index is None else self._entries[index]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Copy and open-link only make sense (and only show) with a message selected.
        if action in ("next_match", "previous_match"):
            return bool(self._find_words)
        if action in ("copy", "open_link"):
            entry = self._selected_entry()
            if entry is None:
                return False
            if action == "open_link":
                return first_url(entry.body) is not None
        return True

    def action_copy(self) -> None:
        entry = self._selected_entry()
        if entry is not None:
            # The app's copy path says what was copied (and tries a local clipboard too).
            self.app.copy_to_clipboard(clipboard_text(entry.body))

    def action_open_link(self) -> None:
        entry = self._selected_entry()
        url = first_url(entry.body) if entry is not None else None
        if url is not None:
            self.app.open_url(url)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not self._entries or not self._width:
            return
        _, height = self._viewport()
        if self._new_count and offset.y == height - 1:
            self.scroll_to_newest()
            return
        line = round(self.scroll_y) + offset.y
        if line >= self._lines.total:
            return
        index, inner = self._find(line)
        block = self._block(index)
        if block.separator is not None and inner == 0:
            return
        self._set_cursor(self._entries[index].uid)

