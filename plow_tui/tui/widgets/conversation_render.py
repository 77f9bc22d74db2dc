"""How one entry of a conversation is drawn: its lines (time, author, delivery mark, wrapped body), the
separator line above it, and the highlights laid over them (an open search's matches, a mouse selection).

Textual-free apart from `Strip` (a list of Rich segments): `Conversation` hands in the styles its
component classes resolve to (`EntryStyles`), the width and the local time; nothing here keeps state.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from plow_tui.terminal_text import safe_line, safe_text
from plow_tui.tui.widgets.view_models import GLYPHS, Entry

_MAX_STATE_WIDTH = 12
# The delivery mark has its own column before the body, one cell wide per
# glyph in every terminal. After the body it would sit wherever the terminal
# thinks the body ends, and terminals disagree with each other (and with
# Rich) on the width of emoji sequences and flags: a `✓✓` pushed out of the
# pane reads as `✓`. Before the body, nothing it follows is the network's.
MARK_WIDTH = 2
# The line above the first message that was unread when the chat was opened (`unread_from`).
NEW_MESSAGES = "new messages"


def state_label(state: str | None) -> str:
    """The short mark shown after an outbound message for its delivery state."""
    if state is None:
        return ""
    glyph = GLYPHS.get(state)
    if glyph is not None:
        return glyph
    text = safe_line(state)
    return text if cell_len(text) <= _MAX_STATE_WIDTH else text[: _MAX_STATE_WIDTH - 1] + "…"


class EntryStyles(NamedTuple):
    """The conversation's component-class styles, resolved once per restyle."""

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


def author_width_at(width: int) -> int:
    """The author column's width in a pane `width` cells wide."""
    return 10 if width >= 50 else 6


def prefix_width_at(width: int) -> int:
    """The cells before the body (time, author, mark) in a pane `width` cells wide."""
    # "HH:MM  author      ✓✓ " — the hanging indent of continuation lines.
    return 5 + 2 + author_width_at(width) + 2 + MARK_WIDTH + 1


def body_width_at(width: int) -> int:
    """The width bodies are wrapped to in a pane `width` cells wide."""
    return max(4, width - prefix_width_at(width) - 1)


def render_separator(label: str, width: int, styles: EntryStyles) -> Strip:
    """The line above an entry: its day's label and/or the "new messages" mark, centred in rules."""
    text = f" {label} "
    left = max(0, (width - cell_len(text)) // 2)
    right = max(0, width - left - cell_len(text))
    style = styles.unread if label.endswith(NEW_MESSAGES) else styles.separator
    return Strip([Segment("─" * left + text + "─" * right, style)], width).adjust_cell_length(width, styles.base)


def render_entry(
    entry: Entry, width: int, styles: EntryStyles, console: Console, time: str, find_words: list[str]
) -> list[Strip]:
    """`entry`'s lines at `width`: `time` (its local HH:MM) and the author on the first, the body wrapped
    under a hanging indent, the words of an open search (`find_words`) highlighted."""
    author_width = author_width_at(width)
    state = entry.state if entry.outbound else None
    mark = GLYPHS.get(state or "", "")
    prefix_width = prefix_width_at(width)
    body_width = body_width_at(width)

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
                Segment(time, styles.time),
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
        if find_words:
            segments.extend(highlighted(line.plain, find_words, body_style, styles.match))
        else:
            segments.append(Segment(line.plain, body_style))
        strips.append(Strip(segments).adjust_cell_length(width, styles.base))
    return strips


def centered(text: str, width: int, style: Style, styles: EntryStyles) -> Strip:
    """`text` in `style`, centred on a line of the base style."""
    length = cell_len(text)
    left = max(0, (width - length) // 2)
    segments = [Segment(" " * left, styles.base), Segment(text, style)]
    return Strip(segments).adjust_cell_length(width, styles.base)


def styled_span(strip: Strip, start: int, end: int, style: Style) -> Strip:
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


def highlighted(text: str, words: list[str], style: Style, match: Style) -> list[Segment]:
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
