"""Readable strings for the screen: days, times, URLs, copied text (phone numbers: `tui/plow/views.py`).

Network text reaches the screen through `plow_tui.terminal_text` (the one
sanitiser the CLI shares) and, in widgets, as `rich.text.Text` or with
`markup=False`, never as markup.
"""

from __future__ import annotations

import re
from datetime import date, datetime


_CLIPBOARD_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\""


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


def day_label(day: date, today: date) -> str:
    """`Today`, `Yesterday`, `Mon 14 Sep`, or `Mon 14 Sep 2025` for other years."""
    delta = (today - day).days
    if delta == 0:
        return "Today"
    if delta == 1:
        return "Yesterday"
    label = f"{day:%a} {day.day} {day:%b}"
    return label if day.year == today.year else f"{label} {day.year}"


def display_time(app: object, moment: datetime) -> datetime:
    """`moment` in the display time zone: the one injected into the app.

    `PlowBaseApp.local_time` holds the zone the app was given (the machine's
    unless `cli.py` or a test chose another); every widget that shows a time
    converts through here, so one zone rules the whole screen. In an app
    without `local_time` (a bare Textual app hosting a widget) it is the
    machine's zone.
    """
    convert = getattr(app, "local_time", None)
    return convert(moment) if convert is not None else moment.astimezone()


def short_time(moment: datetime, now: datetime) -> str:
    """`HH:MM` for a moment today, else a short date (both already in the display zone)."""
    local = moment
    today = now.date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if (today - local.date()).days == 1:
        return "yesterday"
    if local.year == today.year:
        return f"{local.day} {local:%b}"
    return f"{local:%Y-%m-%d}"
