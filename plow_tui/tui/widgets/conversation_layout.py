"""How a conversation's entries are laid out in lines: the line index, the block cache, measuring and settling.

Opening a conversation must not cost time proportional to its length, so
entries are only wrapped when they are about to be shown. Every entry has a
height in lines: a cheap estimate until it is first rendered, then the exact
value. A Fenwick tree over those heights maps screen lines to entries in
O(log n). Nothing is done per entry on open: the estimate is one for all (a
tree over the differences from it is all zeros), and the uid index is built
when first asked for. When an estimate turns out wrong, the view is "settled": the first
entry on screen that was already exact keeps its screen row, so what the
reader is looking at never jumps; only the scrollbar is approximate until
everything has been seen.

`EntryLayout` is the `ScrollView` half of `Conversation`: it owns no state of
its own (the widget sets it up) and draws nothing; it keeps heights, lines and
the scroll position agreeing.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate, compress, count
from operator import attrgetter
from datetime import date, datetime
from typing import NamedTuple

from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from plow_tui.tui.widgets.conversation_render import NEW_MESSAGES, body_width_at
from plow_tui.tui.widgets.steady_scrollbar import SteadyScrollBar
from plow_tui.tui.widgets.text import day_label, display_time
from plow_tui.tui.widgets.view_models import Entry

# How many rendered entries are kept: what three screens of the conversation
# show (an entry is at least one line), so paging back and forth never wraps
# again, and never fewer than MIN_BLOCKS. Not one per entry, nor a fixed
# large number: with Textual's own caches inside each strip a rendered message
# holds about 8-17 KB, and an open chat receiving a text a second grew by
# 14 MiB in half an hour with 4,096 kept and by 7 MiB in six minutes with 512
# (issue #13's soak). An entry scrolled back to after falling out is wrapped
# again (tens of microseconds); its exact height stays in `_lines` either way.
MIN_BLOCKS = 64
SCREENS_KEPT = 3
DAY_CACHE = 1024  # local days of entries shown: a few bytes each
ESTIMATE_SAMPLE = 64  # the newest entries whose average height estimates every entry's


def blocks_kept(rows: int) -> int:
    """How many rendered entries a conversation `rows` lines tall keeps."""
    return max(MIN_BLOCKS, SCREENS_KEPT * rows)


class LineIndex:
    """Every entry's height and the prefix sums over them: line ↔ entry in O(log n), nothing per entry to set up.

    Each entry counts `unit` lines (one estimate for all of them) plus a delta
    of its own, and a Fenwick tree holds the prefix sums of the deltas only:
    the first line of entry i is `i * unit` plus the deltas before it. So
    setting up any number of entries is two zero-filled arrays (C speed; for
    100,000 entries a quarter of a millisecond, where a height per entry and a
    tree built over them took ~30 ms), and an entry costs something only once
    its height is known to differ from `unit` (measured, or estimated on its
    own as it arrived).
    """

    def __init__(self) -> None:
        self.unit = 1
        # Arrays, not lists: the garbage collector does not walk them (a new list of
        # 100,000 items is walked by each young collection until it is old).
        self._deltas = array("q")
        self._tree = array("q", [0])  # 1-based Fenwick tree over `_deltas`
        self._delta_total = 0

    def __len__(self) -> int:
        return len(self._deltas)

    @property
    def total(self) -> int:
        """Lines in all the entries."""
        return len(self._deltas) * self.unit + self._delta_total

    def reset(self, size: int, unit: int) -> None:
        """`size` entries of `unit` lines each."""
        self.unit = max(1, unit)
        self._deltas = array("q", bytes(8 * size))
        self._tree = array("q", bytes(8 * (size + 1)))
        self._delta_total = 0

    def height(self, index: int) -> int:
        return self.unit + self._deltas[index]

    def set_height(self, index: int, height: int) -> bool:
        """Entry `index` is `height` lines; True if that changed it."""
        delta = height - self.unit - self._deltas[index]
        if not delta:
            return False
        self._deltas[index] += delta
        self._delta_total += delta
        tree = self._tree
        i = index + 1
        while i < len(tree):
            tree[i] += delta
            i += i & -i
        return True

    def append(self, height: int) -> None:
        delta = height - self.unit
        self._deltas.append(delta)
        self._delta_total += delta
        tree = self._tree
        position = len(tree)
        # The new node covers (position - lowbit, position]: the new delta plus
        # the nodes that tile the rest of that range (one walk, not two sums).
        child = position - 1
        stop = position - (position & -position)
        while child > stop:
            delta += tree[child]
            child -= child & -child
        tree.append(delta)

    def extend(self, heights: Iterable[int]) -> None:
        """Entries of these heights after the last one: `append` for each, in one pass.

        A catch-up after a reconnect appends thousands at once, and a walk up the
        tree per entry was most of the conversation's cost of taking them. New
        node p covers the entries after `p & (p - 1)` up to p: the difference of
        two prefix sums of the deltas, from a running sum over the new ones (C
        speed), and for the few nodes reaching back before them, from the tree.
        """
        unit = self.unit
        new = array("q", [height - unit for height in heights])
        if not new:
            return
        start = len(self._deltas)
        end = start + len(new)
        tree = self._tree
        if not any(new):
            # Every height the estimate (most messages, one line each): only the nodes reaching
            # back before the batch hold anything, at most one per power of two.
            tree.frombytes(bytes(8 * len(new)))
            for bit in range(end.bit_length()):
                p = ((start >> bit) + 1) << bit
                if p <= end and (low := p & (p - 1)) < start:
                    tree[p] = self._delta_total - self._deltas_before(low)
            self._deltas.extend(new)
            return
        prefix = list(accumulate(new, initial=self._delta_total))  # prefix[t]: the deltas before entry start + t
        tree.extend(
            [
                prefix[p - start] - (prefix[low - start] if (low := p & (p - 1)) >= start else self._deltas_before(low))
                for p in range(start + 1, end + 1)
            ]
        )
        self._deltas.extend(new)
        self._delta_total = prefix[-1]

    def _deltas_before(self, index: int) -> int:
        """The sum of the deltas of the entries before `index`."""
        tree = self._tree
        total = 0
        while index > 0:
            total += tree[index]
            index -= index & -index
        return total

    def insert_front(self, heights: Sequence[int]) -> None:
        """Entries of these heights before the first one (an older page)."""
        unit = self.unit
        self._deltas[:0] = array("q", [height - unit for height in heights])
        self._rebuild()

    def delete(self, index: int) -> None:
        del self._deltas[index]
        self._rebuild()

    def _rebuild(self) -> None:
        deltas = self._deltas
        size = len(deltas)
        tree = array("q", bytes(8 * (size + 1)))
        changed = list(compress(range(size), deltas))  # the entries whose delta is not 0 (C speed)
        if len(changed) * size.bit_length() < size:
            # Few of them (most entries never measured): a walk up the tree for each.
            for index in changed:
                delta = deltas[index]
                i = index + 1
                while i <= size:
                    tree[i] += delta
                    i += i & -i
        else:
            tree[1:] = deltas
            for i in range(1, size + 1):
                parent = i + (i & -i)
                if parent <= size:
                    tree[parent] += tree[i]
        self._tree = tree
        self._delta_total = sum(deltas)

    def start(self, index: int) -> int:
        """The first line of entry `index` (the sum of the heights before it)."""
        return index * self.unit + self._deltas_before(index)

    def find(self, line: int) -> tuple[int, int]:
        """The entry holding `line`, and the line's offset inside it."""
        tree = self._tree
        unit = self.unit
        size = len(tree) - 1
        position = 0
        remaining = line
        step = 1 << size.bit_length() if size else 0
        while step:
            candidate = position + step
            # Node `candidate` covers the `step` entries after `position` (its lowest bit is `step`).
            if candidate <= size and tree[candidate] + step * unit <= remaining:
                position = candidate
                remaining -= tree[candidate] + step * unit
            step >>= 1
        return position, remaining


class Block(NamedTuple):
    """An entry rendered at one width (cache value)."""

    entry: Entry
    width: int
    separator: str | None
    strips: list[Strip]


class EntryLayout(ScrollView):
    """Entries as lines in a scroll view: heights, the line index, blocks rendered per width, settling.

    `Conversation` holds the state below and renders the blocks (`_render_block`).
    """

    _entries: list[Entry]
    _seq: dict[str, int] | None  # uid -> sequence number; index = seq - _base (None: not built yet, see `_positions`)
    _base: int
    _lines: LineIndex  # the entries' heights: as many as entries once laid out at a width, none before
    _width: int  # width the heights are for; 0 until the first layout
    _blocks: LRUCache[str, Block]
    _days: LRUCache[tuple[str, datetime], date]
    _view: tuple[int, int] | None
    _pinned: bool
    _settling: bool
    _unread_from: str | None
    _clock: Callable[[], datetime]

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's vertical scrollbar, made as Textual makes it, but steady (see `SteadyScrollBar`)."""
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = bar = SteadyScrollBar(
                vertical=True, name="vertical", thickness=self.scrollbar_size_vertical, held=self._repaint_is_held
            )
            bar.display = False
            self.app._start_widget(self, bar)
        return self._vertical_scrollbar

    def _repaint_is_held(self) -> bool:
        """Whether a repaint is being held back (the scrollbar waits for it too)."""
        return False

    def _render_block(self, entry: Entry, separator: str | None) -> list[Strip]:
        """`entry`'s lines at `_width`, `separator`'s line first when there is one (the widget draws)."""
        raise NotImplementedError

    def _positions(self) -> dict[str, int]:
        """uid -> sequence number of every entry, built the first time something is looked up by uid.

        Not at open: hashing 100,000 uids into a dict took longer than
        everything else opening a conversation does (40-100 ms on a loaded
        2-core machine), and painting the newest lines looks nothing up. Built
        at C speed when first needed (a message arriving, a selection). A uid
        given twice keeps its first place and its last value, as a message
        updated in place does; found only here, the entries are then put right.
        """
        seq = self._seq
        if seq is None:
            entries = self._entries
            seq = self._seq = dict(zip(map(attrgetter("uid"), entries), count(self._base)))
            if len(seq) != len(entries):
                self._drop_repeated()
                seq = self._positions()
        return seq

    def _drop_repeated(self) -> None:
        """Entries given with a uid already given: one entry per uid, at its first place with its last value."""
        self._entries[:] = {entry.uid: entry for entry in self._entries}.values()
        self._seq = None
        self._base = 0
        self._blocks.clear()
        self._reestimate()
        self.refresh()

    def _index(self, uid: str) -> int | None:
        seq = self._positions().get(uid)
        return None if seq is None else seq - self._base

    def _estimate(self, entry: Entry) -> int:
        # Cheap on purpose (no wrapping): only decides scrollbar proportions
        # until the entry is actually shown.
        return 1 + len(entry.body) // body_width_at(self._width)

    def _reestimate(self) -> None:
        """Reset every height to one estimate (new entries or a new width).

        One estimate for all, not one per entry: that would be a Python loop
        over every entry on open and on each resize. It is the average of the
        newest few (what the reader sees first); the scrollbar is approximate
        until entries are shown, as it was with estimates per entry.
        """
        if not self._width:
            self._lines.reset(0, 1)
            return
        sample = self._entries[-ESTIMATE_SAMPLE:]
        body_width = body_width_at(self._width)
        unit = round(sum(1 + len(entry.body) // body_width for entry in sample) / len(sample)) if sample else 1
        self._lines.reset(len(self._entries), unit)

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

    def _find(self, line: int) -> tuple[int, int]:
        index, offset = self._lines.find(line)
        if index >= len(self._entries):
            index = len(self._entries) - 1
            offset = self._lines.height(index) - 1
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
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)

    def _set_scroll(self, y: int) -> None:
        self.scroll_to(y=y, animate=False, force=True)

    def _local_day(self, entry: Entry) -> date:
        key = (entry.uid, entry.at)
        day = self._days.get(key)
        if day is None:
            day = self._days[key] = display_time(self.app, entry.at).date()
        return day

    def _separator_for(self, index: int) -> str | None:
        return self._separator(self._entries[index - 1] if index > 0 else None, self._entries[index])

    def _separator(self, previous: Entry | None, entry: Entry) -> str | None:
        """The line above `entry` when `previous` is the entry before it: its day's label, the unread marker."""
        # One line at most, so everything that counts a block's separator as one line holds:
        # the unread marker joins the day's label when both fall on the same entry.
        day = self._local_day(entry)
        label = None if previous is not None and self._local_day(previous) == day else day_label(day, display_time(self.app, self._clock()).date())
        if self._unread_from is not None and entry.uid == self._unread_from:
            return f"{label} · {NEW_MESSAGES}" if label else NEW_MESSAGES
        return label

    def _cached_block(self, index: int) -> Block | None:
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

    def _block(self, index: int) -> Block:
        block = self._cached_block(index)
        if block is None:
            entry = self._entries[index]
            separator = self._separator_for(index)
            strips = self._render_block(entry, separator)
            block = Block(entry, self._width, separator, strips)
            self._blocks[entry.uid] = block
        return block

    def _render_ahead(self, entries: Sequence[Entry]) -> None:
        """Render now the blocks of `entries` (oldest first), about to be appended (see `Conversation.render_ahead`)."""
        if not self._width:
            return
        _, height = self._viewport()
        newest = entries[-(height + 1) :]  # a screen's worth; the first only as the one before the next
        for previous, entry in zip(newest, newest[1:]):
            separator = self._separator(previous, entry)
            self._blocks[entry.uid] = Block(entry, self._width, separator, self._render_block(entry, separator))

    def _measure(self, index: int) -> bool:
        """Make entry `index`'s height exact; True if it changed."""
        return self._lines.set_height(index, len(self._block(index).strips))

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
                    lines += self._lines.height(index)
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
