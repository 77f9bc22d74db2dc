"""Turning text from the network into safe, readable strings for the screen.

Everything a peer can type reaches the terminal through these helpers: they
never interpret markup, and they replace control characters with visible
placeholders so an ESC sequence can't move the cursor, recolour the screen or
set the window title.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from plow_tui.client.phone import format_phone

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CLIPBOARD_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\""


def _placeholder(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode "control pictures": ␛ for ESC, ␍ for CR
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1 controls have no pictures


def literal(text: str, *, one_line: bool = False) -> str:
    """`text` with every control character replaced by a visible placeholder.

    Newlines survive (as line breaks, or as spaces when `one_line`); tabs
    become spaces so cell widths stay predictable.
    """
    text = text.replace("\r\n", "\n").replace("\t", "    ")
    text = _CONTROL.sub(_placeholder, text)
    if one_line:
        text = " ".join(text.split("\n"))
    return text


def clipboard_text(text: str) -> str:
    """`text` without control characters (newlines and tabs kept), for copying.

    A pasted ESC sequence could act on the reader's own terminal, so copied
    messages drop them rather than carrying them along.
    """
    return _CLIPBOARD_UNSAFE.sub("", text.replace("\r\n", "\n"))


def first_url(text: str) -> str | None:
    """The first http(s) URL in `text`, without trailing punctuation, or None."""
    match = _URL.search(text)
    if match is None:
        return None
    url = match.group().rstrip(_URL_TRAILING)
    return url if len(url) > len("https://") else None


def format_number(number: str | None) -> str:
    """A phone number formatted for reading (`+1 (555) 000-0001`), safe to draw.

    Anything that is not E.164 is shown as given (made literal), so an unusual
    number is never hidden or mangled.
    """
    return literal(format_phone(number), one_line=True)


def day_label(day: date, today: date) -> str:
    """`Today`, `Yesterday`, `Mon 14 Sep`, or `Mon 14 Sep 2025` for other years."""
    delta = (today - day).days
    if delta == 0:
        return "Today"
    if delta == 1:
        return "Yesterday"
    label = f"{day:%a} {day.day} {day:%b}"
    return label if day.year == today.year else f"{label} {day.year}"


def short_time(moment: datetime, now: datetime) -> str:
    """`HH:MM` for a moment today (local time), else a short date."""
    local = moment.astimezone()
    today = now.astimezone().date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if (today - local.date()).days == 1:
        return "yesterday"
    if local.year == today.year:
        return f"{local.day} {local:%b}"
    return f"{local:%Y-%m-%d}"
