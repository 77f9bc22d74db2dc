"""Output that knows where it goes, as gh's does: a terminal or a pipe.

On a terminal: aligned columns, a header, colour (unless `NO_COLOR` is set or
`TERM=dumb`). Piped: tab-separated rows without a header or colour, one record
a line, for `cut` and `awk`. Every cell that came from a server must already
be sanitised by the caller; this module only lays it out. Light to import
(standard library only): `plow-tui chats` goes through it.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import IO

BOLD = "\x1b[1m"
DIM = "\x1b[2m"
RED = "\x1b[31m"
GREEN = "\x1b[32m"
YELLOW = "\x1b[33m"
RESET = "\x1b[0m"


def is_terminal(stream: IO[str] | None = None) -> bool:
    stream = sys.stdout if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a file at all
        return False


def color_enabled(stream: IO[str] | None = None, env: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, never with NO_COLOR (any non-empty value) or TERM=dumb."""
    import os

    env = os.environ if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


def paint(text: str, style: str, on: bool) -> str:
    return f"{style}{text}{RESET}" if on and text and style else text


def width(text: str) -> int:
    """Columns `text` takes in a terminal (wide East Asian characters and emoji take two)."""
    return sum(
        0 if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf") else
        2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
        for c in text
    )


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    stream: IO[str] | None = None,
    env: Mapping[str, str] | None = None,
    styles: Sequence[Mapping[str, str]] | None = None,
) -> None:
    """Print `rows` under `header`: aligned on a terminal, tab-separated when piped.

    `styles[i]` maps a cell's value in column i to a colour (e.g. {"failed": RED}),
    used only when colour is on.
    """
    stream = sys.stdout if stream is None else stream
    if not is_terminal(stream):
        for row in rows:
            stream.write("\t".join(cell.replace("\t", " ") for cell in row) + "\n")
        stream.flush()
        return
    on = color_enabled(stream, env)
    widths = [max(width(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str], painter) -> str:  # noqa: ANN001 - a small local helper
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - width(cell))
            out.append(painter(i, cell) + pad)
        return "  ".join(out).rstrip()

    stream.write(line(header, lambda i, cell: paint(cell, BOLD, on)) + "\n")
    for row in rows:
        stream.write(line(row, lambda i, cell: paint(cell, (styles[i] if styles and i < len(styles) else {}).get(cell, ""), on)) + "\n")
    stream.flush()


def local_time(moment: datetime | None) -> str:
    """A time as every command's lines show it: the machine's zone, to the minute; unknown as `????-??-?? ??:??`."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment is not None else "????-??-?? ??:??"


def connection_note(state: str, reason: str | None, retry_in: float | None) -> str | None:
    """How a `tail` (Plow's or Airy's alike) says on stderr that its live connection is in trouble; None: all is well.

    Both streams end the same way (a last `offline` with no retry, then an error the runner prints),
    so one line serves both: the retry's wait when one is planned, nothing more when none is.
    """
    if state not in ("reconnecting", "offline"):
        return None
    from plow_tui.terminal_text import error_text

    wait = f"; retrying in {retry_in:.0f} s" if retry_in is not None else ""
    return f"[{state}: {error_text(reason)}{wait}]"
