"""What a text to a phone may be, for the app and the shell alike.

Two rules live here and nowhere else, so `plow-tui send` and the app's editor
send the same parts and the QR code and `plow-tui activate` give the same link:

- `split_body`: a text longer than `MAX_BODY` goes as several, each a message
  the person sees as sent on its own.
- `sms_uri`: the `sms:` link that opens a phone's messaging app with a text
  filled in.
"""

from __future__ import annotations

from urllib.parse import quote

# The live API splits texts longer than this itself (PROTOCOL §5); we split
# first so each part is a message the person can see as sent.
MAX_BODY = 4000


def split_body(text: str, limit: int = MAX_BODY) -> list[str]:
    """`text` in parts of at most `limit` characters, none of them empty.

    Each part arrives as its own bubble on a phone, so the cut goes where a
    reader pauses anyway: at the last line break, else at the last space,
    else (one endless word) right at the limit. A break is only taken in the
    second half of the window: an early one would leave a stub part and make
    more texts than needed. The whitespace at a cut is dropped (the bubble
    boundary shows it).
    """
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]  # a break right after the limit still leaves a full part
        cut = window.rfind("\n", limit // 2)
        if cut <= 0:
            cut = window.rfind(" ", limit // 2)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return [part for part in parts if part.strip()]


def sms_uri(number: str, body: str) -> str:
    """An `sms:` link that opens the messaging app with `body` filled in.

    `sms:+1555…?&body=…` is the one form both big platforms accept: Android
    reads the query after `?` (RFC 5724) and skips the empty parameter before
    `&`, while iOS (8 and later) looks for `&body=` and ignores the stray `?`.
    The plain `?body=` form drops the text on older iOS, and `;body=` only
    works on old iOS. Everything but letters, digits and `-._~` is
    percent-encoded (`safe=''`): `%20` for spaces, because some Android
    messaging apps keep a literal `+`, and `/`, `?`, `&`, `#` too, so no
    reader's idea of where a URI part ends can cut the body short.
    """
    return f"sms:{number}?&body={quote(body, safe='')}"
