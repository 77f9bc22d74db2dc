"""Hostile strings for tests, and the check that output shows none of them raw.

What a server or a stranger could put in any text field: C0/C1 controls,
ESC/CSI/OSC sequences, Rich markup (a clickable `[@click=app.quit]`, malformed
tags), bidi controls, zero-width and other invisible characters, lone
surrogates. `raw_characters` names what must never reach a terminal.
"""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

# Whole sequences and markup an attacker would send as such.
SEQUENCES = (
    "\x1b[2J",  # clear the screen
    "\x1b[31m",  # red
    "\x1b]0;pwned\x07",  # set the window title
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x9b31m",  # one-byte CSI (C1)
    "\x9d0;title\x9c",  # one-byte OSC ... ST
    "[b]X[/b]",
    "[@click=app.quit]Q[/]",
    "[link=https://evil.example]x[/link]",
    "[/]",
    "[bold",
    "[red]unclosed",
    "\u202egnp.exe",  # right-to-left override
    "\u2066isolate\u2069",
    "pay\u200bpal",
    "\ufeff",
    "\ud800",  # lone surrogate
    "\U000e0041\U000e0042",  # tag characters smuggling "AB"
)

# Single characters that are dangerous or invisible.
HOSTILE_CHARACTERS = (
    [chr(c) for c in range(0x00, 0x20)]
    + ["\x7f"]
    + [chr(c) for c in range(0x80, 0xA0)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u2028", "\u2029"]
)

# Bidi controls and characters that draw nothing: never in output.
_INVISIBLE = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff\u2028\u2029"
)


def hostile_text(max_size: int = 6) -> st.SearchStrategy[str]:
    """Short strings mixing plain ASCII, hostile sequences and characters."""
    piece = st.one_of(
        st.text(alphabet="abcXYZ 019[]/=@.:-", max_size=4),
        st.sampled_from(SEQUENCES),
        st.sampled_from(HOSTILE_CHARACTERS),
    )
    return st.lists(piece, min_size=1, max_size=max_size).map("".join)


def raw_characters(output: str, *, newlines: bool = True) -> list[str]:
    """Characters in `output` that must not reach a terminal (empty list: clean).

    Output from our sanitiser may hold line breaks (`newlines`) and nothing else
    below U+0020: no ESC, no C1, no DEL, no bidi control, no invisible character,
    no tag character (variation selectors are real text and allowed).
    """
    found = []
    for char in output:
        code = ord(char)
        if char == "\n" and newlines:
            continue
        if code < 0x20 or 0x7F <= code <= 0x9F or char in _INVISIBLE or 0xD800 <= code <= 0xDFFF:
            found.append(char)
        elif unicodedata.category(char) == "Cf" or 0xE0000 <= code <= 0xE00FF or 0xE01F0 <= code <= 0xE0FFF:
            found.append(char)
    return found
