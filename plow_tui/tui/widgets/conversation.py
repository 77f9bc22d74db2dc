"""The message pane: a Line API view of one conversation that stays fast at any length.

Opening a conversation must not cost time proportional to its length, so
entries are only wrapped when they are about to be shown. Every entry has a
height in lines: a cheap estimate until it is first rendered, then the exact
value. A Fenwick tree over those heights maps screen lines to entries in
O(log n). When an estimate turns out wrong, the view is "settled": the first
entry on screen that was already exact keeps its screen row, so what the
reader is looking at never jumps; only the scrollbar is approximate until
everything has been seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import ClassVar, NamedTuple, overload

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Offset, Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from plow_tui.terminal_text import safe_line, safe_text
from plow_tui.tui.widgets.text import clipboard_text, day_label, display_time, first_url
from plow_tui.tui.widgets.view_models import Entry

# How many lines from the top count as "near the top" for loading older pages.
NEAR_TOP_LINES = 3
# How many rendered entries are kept. Not one per entry: with Textual's own
# caches inside each strip a rendered message holds about 8 KB, so an open chat
# receiving a text a second grew by 14 MiB in half an hour (issue #13's soak).
# A tall terminal shows a couple of hundred entries at most; an entry scrolled
# back to after falling out is wrapped again (tens of microseconds). Its exact
# height stays in `_heights` either way.
BLOCK_CACHE = 512

GLYPHS = {"sending": "…", "waiting": "◷", "sent": "✓", "delivered": "✓✓", "failed": "✗", "unknown": "?"}
_MAX_STATE_WIDTH = 12
# The delivery mark has its own column before the body, one cell wide per
# glyph in every terminal. After the body it would sit wherever the terminal
# thinks the body ends, and terminals disagree with each other (and with
# Rich) on the width of emoji sequences and flags: a `✓✓` pushed out of the
# pane reads as `✓`. Before the body, nothing it follows is the network's.
MARK_WIDTH = 2
# The line above the first message that was unread when the chat was opened (`unread_from`).
NEW_MESSAGES = "new messages"
# A selection offset past the end of any line.
_LINE_END = 1 << 30


# Not `frozen=True`: a frozen dataclass sets every field through
# `object.__setattr__`, which made building the entries of a 5,000-message
# backlog more than twice as slow (issue #8). Entries are immutable all the
# same (the block cache tells them apart by identity): change one with
# `dataclasses.replace`. `unsafe_hash` keeps them hashable as before.
def server_order(entry: Entry) -> datetime:
    """The order messages are kept in: time. Ties keep the order they came in (a stable
    sort), so two texts of ours sent in the same instant never swap (local ids are no order)."""
    return entry.at


def first_unread(entries: Sequence[Entry], count: int) -> str | None:
    """The uid of the oldest of the newest `count` inbound entries: where the unread part starts.

    Fewer inbound entries shown than `count` (older pages not loaded): the oldest shown one.
    """
    found: str | None = None
    for entry in reversed(entries):
        if count <= 0:
            break
        if not entry.outbound:
            found = entry.uid
            count -= 1
    return found


def state_label(state: str | None) -> str:
    """The short mark shown after an outbound message for its delivery state."""
    if state is None:
        return ""
    glyph = GLYPHS.get(state)
    if glyph is not None:
        return glyph
    text = safe_line(state)
    return text if cell_len(text) <= _MAX_STATE_WIDTH else text[: _MAX_STATE_WIDTH - 1] + "…"


class _LineIndex:
    """Prefix sums over entry heights (a Fenwick tree): line ↔ entry in O(log n)."""

    def __init__(self) -> None:
        self._tree = [0]
        self.total = 0

    def rebuild(self, heights: Sequence[int]) -> None:
        size = len(heights)
        tree = [0, *heights]
        for i in range(1, size + 1):
            parent = i + (i & -i)
            if parent <= size:
                tree[parent] += tree[i]
        self._tree = tree
        self.total = sum(heights)

    def append(self, height: int) -> None:
        tree = self._tree
        position = len(tree)
        # The new node covers (position - lowbit, position]: the new height plus
        # the nodes that tile the rest of that range (one walk, not two sums).
        value = height
        child = position - 1
        stop = position - (position & -position)
        while child > stop:
            value += tree[child]
            child -= child & -child
        tree.append(value)
        self.total += height

    def add(self, index: int, delta: int) -> None:
        tree = self._tree
        i = index + 1
        while i < len(tree):
            tree[i] += delta
            i += i & -i
        self.total += delta

    def start(self, index: int) -> int:
        """The first line of entry `index` (the sum of the heights before it)."""
        tree = self._tree
        total = 0
        while index > 0:
            total += tree[index]
            index -= index & -index
        return total

    def find(self, line: int) -> tuple[int, int]:
        """The entry holding `line`, and the line's offset inside it."""
        tree = self._tree
        size = len(tree) - 1
        position = 0
        remaining = line
        step = 1 << size.bit_length() if size else 0
        while step:
            candidate = position + step
            if candidate <= size and tree[candidate] <= remaining:
                position = candidate
                remaining -= tree[candidate]
            step >>= 1
        return position, remaining


class _Styles(NamedTuple):
    base: Style
    time: Style
    author: Style
    author_you: Style
    body: Style
    body_you: Style
    state: Style
    state_failed: Style
    separator: Style
    unread: Style
    cursor: Style
    new: Style
    empty: Style
    match: Style


class _Block(NamedTuple):
    """An entry rendered at one width (cache value)."""

    entry: Entry
    width: int
    separator: str | None
    strips: list[Strip]


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


class Conversation(ScrollView, can_focus=True):
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
        # so an older page doesn't renumber every entry.
        self._seq: dict[str, int] = {}
        self._base = 0
        self._heights: list[int] = []
        self._lines = _LineIndex()
        self._width = 0  # width the heights are for; 0 until the first layout
        self._blocks: LRUCache[str, _Block] = LRUCache(BLOCK_CACHE)
        self._styles: _Styles | None = None
        self._cursor: str | None = None
        self._pinned = True
        self._new_count = 0
        self._near_top_posted = False
        self._settling = False
        self._view: tuple[int, int] | None = None
        self._days: LRUCache[tuple[str, datetime], date] = LRUCache(2 * BLOCK_CACHE)  # local day of entries shown
        self._find_words: list[str] = []  # an open search: its words, highlighted in bodies
        self._unread_from: str | None = None  # the entry the "new messages" line is drawn above
        self.set_entries(entries)

    # ----------------------------------------------------------------- public API

    @property
    def entries(self) -> Sequence[Entry]:
        """All entries, oldest first (read-only)."""
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
        entries = list(entries)
        seq = {entry.uid: index for index, entry in enumerate(entries)}
        if len(seq) != len(entries):
            entries = list({entry.uid: entry for entry in entries}.values())
            seq = {entry.uid: index for index, entry in enumerate(entries)}
        self._entries = entries
        self._seq = seq
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
        anchor = self._anchor()
        arrivals = 0
        newest = server_order(self._entries[-1]) if self._entries else None
        out_of_order = False
        entries, seq, heights, lines = self._entries, self._seq, self._heights, self._lines
        # `_estimate` with the width worked out once, inlined: a backlog after
        # a reconnect is thousands of entries, and this loop was most of its cost.
        body_width = self._body_width(self._width) if self._width else 0
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
                height = 1 + len(entry.body) // body_width
                heights.append(height)
                lines.append(height)
            arrivals += not entry.outbound
        if arrivals and not self._pinned:
            self._new_count += arrivals
        if out_of_order:
            self._put_in_order()
        self._changed(anchor)

    def _put_in_order(self) -> None:
        """Sort the entries into server order (stable) and rebuild what depends on positions."""
        self._entries.sort(key=server_order)
        self._seq = {entry.uid: self._base + index for index, entry in enumerate(self._entries)}
        self._blocks.clear()  # day separators depend on the entry before
        self._reestimate()

    def prepend_older(self, batch: Iterable[Entry]) -> None:
        """Put an older page (oldest first) above the current entries.

        The lines on screen stay where they are.
        """
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
            for offset, entry in enumerate(fresh):
                self._seq[entry.uid] = self._base + offset
            self._entries[:0] = fresh
            if self._width:
                self._heights[:0] = [self._estimate(entry) for entry in fresh]
                self._lines.rebuild(self._heights)
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
        if entry.uid != old_uid and entry.uid in self._seq:
            self._entries[self._index(entry.uid)] = entry  # type: ignore[index]
            self.remove_entry(old_uid)
            return
        anchor = self._anchor()
        self._entries[index] = entry
        self._seq[entry.uid] = self._seq.pop(old_uid)
        if self._cursor == old_uid:
            self._cursor = entry.uid
        if anchor is not None and anchor[0] == old_uid:
            anchor = (entry.uid, anchor[1])
        self._changed(anchor)

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
        self._seq = {entry.uid: position for position, entry in enumerate(self._entries)}
        self._base = 0
        if self._width:
            del self._heights[index]
            self._lines.rebuild(self._heights)
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
        if uid is not None and uid not in self._seq:
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

    def _index(self, uid: str) -> int | None:
        seq = self._seq.get(uid)
        return None if seq is None else seq - self._base

    def _body_width(self, width: int) -> int:
        return max(4, width - self._prefix_width(width) - 1)

    @staticmethod
    def _author_width(width: int) -> int:
        return 10 if width >= 50 else 6

    def _prefix_width(self, width: int) -> int:
        # "HH:MM  author      ✓✓ " — the hanging indent of continuation lines.
        return 5 + 2 + self._author_width(width) + 2 + MARK_WIDTH + 1

    def _estimate(self, entry: Entry) -> int:
        # Cheap on purpose (no wrapping): only decides scrollbar proportions
        # until the entry is actually shown.
        return 1 + len(entry.body) // self._body_width(self._width)

    def _reestimate(self) -> None:
        """Reset every height to its estimate (new entries or a new width)."""
        if not self._width:
            self._heights = []
            self._lines.rebuild(())
            return
        body_width = self._body_width(self._width)
        # `_estimate`, inlined: this loop runs over every entry on open and resize.
        self._heights = [1 + len(entry.body) // body_width for entry in self._entries]
        self._lines.rebuild(self._heights)

    def _viewport(self) -> tuple[int, int]:
        # Asked for on every rendered line; it only changes on resize or restyle.
        if self._view is None:
            region = self.scrollable_content_region
            self._view = (region.width, region.height)
        return self._view

    def _anchor(self) -> tuple[str, int] | None:
        """What the top screen line shows: (entry uid, line inside its message)."""
        if self._pinned or not self._entries or not self._width:
            return None
        index, offset = self._find(round(self.scroll_y))
        block = self._cached_block(index)
        separator = 1 if block is not None and block.separator is not None else 0
        return self._entries[index].uid, offset - separator

    def _restore(self, anchor: tuple[str, int]) -> None:
        uid, offset = anchor
        index = self._index(uid)
        if index is None:
            return
        self._measure(index)
        block = self._block(index)
        separator = 1 if block.separator is not None else 0
        # offset -1 is the separator line; if that separator has gone (an older
        # page of the same day arrived), it becomes the previous entry's last line.
        offset = max(-1, min(offset, len(block.strips) - separator - 1))
        self._sync_virtual_size()
        self._set_scroll(self._lines.start(index) + separator + offset)

    def _changed(self, anchor: tuple[str, int] | None) -> None:
        """After any change: keep the reader's place (or the bottom) and repaint once."""
        if self._cursor is not None and self._cursor not in self._seq:
            self._set_cursor(None)
        if self._width:
            self._sync_virtual_size()
            if anchor is not None and not self._pinned:
                self._settling = True
                try:
                    self._restore(anchor)
                finally:
                    self._settling = False
            self._settle()
        self.refresh()

    def _find(self, line: int) -> tuple[int, int]:
        index, offset = self._lines.find(line)
        if index >= len(self._entries):
            index = len(self._entries) - 1
            offset = self._heights[index] - 1
        return index, offset

    def _sync_virtual_size(self) -> None:
        size = Size(self._width, self._lines.total)
        if size == self.virtual_size:
            return
        if self.styles.is_auto_height:
            self.virtual_size = size  # the height on screen follows the lines: a layout it is
            return
        # Otherwise only the scrollbar follows the lines (its gutter is kept, so
        # showing it changes no width). The reactive would lay out the whole
        # screen and repaint every widget on it, once per batch in a burst of
        # messages: set it as Textual's own `_size_updated` does, and update
        # the scrollbars (showing or hiding one still lays out, as it must).
        self.set_reactive(Conversation.virtual_size, size)
        self._scroll_update(size)

    def _set_scroll(self, y: int) -> None:
        self.scroll_to(y=y, animate=False, force=True)

    # ----------------------------------------------------------------- layout

    def _style_set(self) -> _Styles:
        if self._styles is None:
            get = self.get_component_rich_style
            self._styles = _Styles(
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

    def _local_day(self, index: int) -> date:
        entry = self._entries[index]
        key = (entry.uid, entry.at)
        day = self._days.get(key)
        if day is None:
            day = self._days[key] = display_time(self.app, entry.at).date()
        return day

    def _separator_for(self, index: int) -> str | None:
        # One line at most, so everything that counts a block's separator as one line holds:
        # the unread marker joins the day's label when both fall on the same entry.
        day = self._local_day(index)
        label = None if index > 0 and self._local_day(index - 1) == day else day_label(day, display_time(self.app, self._clock()).date())
        if self._unread_from is not None and self._entries[index].uid == self._unread_from:
            return f"{label} · {NEW_MESSAGES}" if label else NEW_MESSAGES
        return label

    def _cached_block(self, index: int) -> _Block | None:
        entry = self._entries[index]
        block = self._blocks.get(entry.uid)
        if (
            block is not None
            and block.entry is entry
            and block.width == self._width
            and block.separator == self._separator_for(index)
        ):
            return block
        return None

    def _block(self, index: int) -> _Block:
        block = self._cached_block(index)
        if block is None:
            entry = self._entries[index]
            separator = self._separator_for(index)
            strips = self._render_entry(entry, self._width)
            if separator is not None:
                strips.insert(0, self._render_separator(separator, self._width))
            block = _Block(entry, self._width, separator, strips)
            self._blocks[entry.uid] = block
        return block

    def _measure(self, index: int) -> bool:
        """Make entry `index`'s height exact; True if it changed."""
        height = len(self._block(index).strips)
        delta = height - self._heights[index]
        if delta:
            self._heights[index] = height
            self._lines.add(index, delta)
        return bool(delta)

    def _render_separator(self, label: str, width: int) -> Strip:
        styles = self._style_set()
        text = f" {label} "
        left = max(0, (width - cell_len(text)) // 2)
        right = max(0, width - left - cell_len(text))
        style = styles.unread if label.endswith(NEW_MESSAGES) else styles.separator
        return Strip([Segment("─" * left + text + "─" * right, style)], width).adjust_cell_length(width, styles.base)

    def _render_entry(self, entry: Entry, width: int) -> list[Strip]:
        styles = self._style_set()
        console = self.app.console
        author_width = self._author_width(width)
        state = entry.state if entry.outbound else None
        mark = GLYPHS.get(state or "", "")
        prefix_width = self._prefix_width(width)
        body_width = self._body_width(width)

        author = "you" if entry.outbound else safe_line(entry.author)
        author_text = Text(author, no_wrap=True, overflow="ellipsis")
        author_text.truncate(author_width, overflow="ellipsis", pad=True)
        author_style = styles.author_you if entry.outbound else styles.author
        body_style = styles.body_you if entry.outbound else styles.body
        state_style = styles.state_failed if entry.state == "failed" else styles.state

        text = safe_text(entry.body)
        if state and not mark:
            text += f" ({state_label(state)})"  # a state we have no glyph for, in words
        body = Text(text, overflow="fold")
        lines = body.wrap(console, body_width) or [Text("")]
        strips = []
        for number, line in enumerate(lines):
            line.truncate(body_width, overflow="fold")
            if number == 0:
                segments = [
                    Segment(f"{display_time(self.app, entry.at):%H:%M}", styles.time),
                    Segment("  ", styles.base),
                    Segment(author_text.plain, author_style),
                    Segment("  ", styles.base),
                    Segment(mark.ljust(MARK_WIDTH), state_style),
                    Segment(" ", styles.base),
                ]
            else:
                segments = [Segment(" " * prefix_width, styles.base)]
            # Plain text, no spans: one segment in the body style is the whole line
            # (split around the matches of an open search). Nothing follows it on purpose: see MARK_WIDTH.
            if self._find_words:
                segments.extend(_highlighted(line.plain, self._find_words, body_style, styles.match))
            else:
                segments.append(Segment(line.plain, body_style))
            strips.append(Strip(segments).adjust_cell_length(width, styles.base))
        return strips

    def _settle(self) -> None:
        """Make every entry on screen exact without moving what the reader sees."""
        if self._settling or not self._entries:
            return
        width, height = self._viewport()
        if width != self._width:
            return  # the resize handler re-lays out first
        if height <= 0:
            return
        self._settling = True
        try:
            if self._pinned:
                lines = 0
                index = len(self._entries) - 1
                while index >= 0 and lines < height:
                    self._measure(index)
                    lines += self._heights[index]
                    index -= 1
                self._sync_virtual_size()
                self._set_scroll(self.max_scroll_y)
                return
            for _ in range(8):
                if not self._settle_once(height):
                    break
        finally:
            self._settling = False

    def _settle_once(self, height: int) -> bool:
        top = round(self.scroll_y)
        first, _ = self._find(top)
        # The pivot is the first entry on screen whose height is already
        # exact: it keeps its screen row while estimates around it change.
        # (One rendered long ago may have left the block cache: exact all the
        # same, it is then simply not chosen; any cached one keeps the view.)
        pivot, row = first, self._lines.start(first) - top
        index = first
        while index < len(self._entries) and self._lines.start(index) < top + height:
            if self._cached_block(index) is not None:
                pivot, row = index, self._lines.start(index) - top
                break
            index += 1
        changed = False
        index = first
        while index < len(self._entries) and self._lines.start(index) < top + height:
            changed |= self._measure(index)
            index += 1
        if changed:
            self._sync_virtual_size()
            self._set_scroll(self._lines.start(pivot) - row)
        return changed

    def on_resize(self, event: events.Resize) -> None:
        self._view = None
        width, _ = self._viewport()
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
        self._settle()  # a safety net: normally already settled by the watchers
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, height = self._viewport()
        styles = self._style_set()
        if not self._entries:
            if y == height // 2:
                return self._centered(safe_line(self.empty_text), width, styles.empty)
            return Strip.blank(width, styles.base)
        if self._new_count and y == height - 1:
            noun = "message" if self._new_count == 1 else "messages"
            return self._centered(f" ↓ {self._new_count} new {noun} ", width, styles.new)
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
        selection = self.text_selection
        if selection is not None:
            span = selection.get_span(line)
            if span is not None:
                strip = _styled_span(strip, *span, self.screen.get_component_rich_style("screen--selection"))
        return strip

    def _centered(self, text: str, width: int, style: Style) -> Strip:
        styles = self._style_set()
        length = cell_len(text)
        left = max(0, (width - length) // 2)
        segments = [Segment(" " * left, styles.base), Segment(text, style)]
        return Strip(segments).adjust_cell_length(width, styles.base)

    # ----------------------------------------------------------------- text selection

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
        end = start + self._heights[index]
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


def _styled_span(strip: Strip, start: int, end: int, style: Style) -> Strip:
    """`strip` with characters `start`..`end` (-1: to the end) in `style` added; cells unchanged."""
    segments: list[Segment] = []
    at = 0
    for text, seg_style, control in strip:
        length = len(text)
        lo = max(start - at, 0)
        hi = length if end == -1 else min(end - at, length)
        if control or lo >= hi:
            segments.append(Segment(text, seg_style, control))
        else:
            if lo:
                segments.append(Segment(text[:lo], seg_style))
            segments.append(Segment(text[lo:hi], seg_style + style if seg_style else style))
            if hi < length:
                segments.append(Segment(text[hi:], seg_style))
        at += length
    return Strip(segments, strip.cell_length)


def _highlighted(text: str, words: list[str], style: Style, match: Style) -> list[Segment]:
    """`text` as segments, the words of a search in the `match` style."""
    from plow_tui.store.search import match_spans

    segments, at = [], 0
    for start, end in match_spans(text, words):
        if start < at:
            continue
        if start > at:
            segments.append(Segment(text[at:start], style))
        segments.append(Segment(text[start:end], match))
        at = end
    if at < len(text):
        segments.append(Segment(text[at:], style))
    return segments
