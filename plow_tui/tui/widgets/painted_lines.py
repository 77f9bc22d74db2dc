"""`PaintedLines`: a conversation's finished lines by their place in it, so a scroll repaints only the lines it brings in.

Textual turns each line a widget serves into the line the screen shows
(styles, background, line filters) and caches the result by screen row. A
conversation following its newest message scrolls with each one, so every row
shows a different line and all of them went through that pipeline again, and
then through the compositor's cutting and the terminal's encoding, which are
cached per finished line. Kept by their place in the conversation instead, the
lines that only moved up are the same objects as in the last frame: only the
new ones are made, and the rest cost a lookup all the way to the terminal.
"""

from __future__ import annotations

from typing import NamedTuple

from textual.strip import Strip


class _Painted(NamedTuple):
    source: object  # what the line was made from (compared by identity: a rendered block)
    detail: tuple[object, ...]  # and everything else it showed (its line in the block, cursor, selection)
    strip: Strip


class PaintedLines:
    """Finished strips by line number, each valid while its source and `looks` are unchanged.

    `looks` is everything that changes every line at once (width, styles,
    colours, the app's line filters): a different one empties the cache.
    """

    def __init__(self) -> None:
        self._lines: dict[int, _Painted] = {}
        self._looks: object = None

    def check(self, looks: object) -> None:
        """Start a frame drawn with `looks`; anything painted with other looks is dropped."""
        if looks != self._looks:
            self._lines.clear()
            self._looks = looks

    def get(self, line: int, source: object, detail: tuple[object, ...]) -> Strip | None:
        painted = self._lines.get(line)
        if painted is not None and painted.source is source and painted.detail == detail:
            return painted.strip
        return None

    def put(self, line: int, source: object, detail: tuple[object, ...], strip: Strip) -> None:
        self._lines[line] = _Painted(source, detail, strip)

    def keep(self, first: int, last: int, most: int) -> None:
        """Once more than `most` are kept, forget those outside lines `first`..`last`."""
        if len(self._lines) > most:
            self._lines = {line: painted for line, painted in self._lines.items() if first <= line <= last}

    def clear(self) -> None:
        self._lines.clear()

    def __len__(self) -> int:
        return len(self._lines)
