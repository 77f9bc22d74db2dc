"""The one terminal sanitiser: text from the network made safe to print or draw.

A server, a chat member or a stranger texting the number chooses the bytes of
titles, names, numbers, codes, bodies, statuses and error messages. None of it
may drive the terminal (ESC/CSI/OSC sequences: cursor moves, colours, window
titles, hyperlinks), reorder what the reader sees (bidi overrides) or hide
characters (zero-width spaces in a name that looks like another). The app and
the CLI both print network text only through this module; it imports neither
Textual nor Rich, and markup is a separate matter (the app never parses
network text as markup; see CONVENTIONS §2).

The rule, one character at a time:

- Line breaks: ``\\r\\n`` becomes ``\\n``. Multi-line text keeps ``\\n``;
  one-line text replaces it with a chosen separator. A tab becomes four spaces.
- C0 controls (U+0000–U+001F, including a lone ``\\r``) become their Unicode
  control pictures (ESC is shown as ``␛``), DEL becomes ``␡``. With ESC gone, no
  escape sequence can start; the rest of a sequence is then plain text.
- Everything else that is invisible or steers layout is shown by its code
  point, as ``<U+202E>``: C1 controls (U+0080–U+009F, a one-byte CSI among
  them), format characters (Unicode category Cf: bidi embeddings, overrides,
  isolates and marks, zero-width space, word joiner, BOM, soft hyphen, ...),
  the line and paragraph separators U+2028/U+2029, lone surrogates, and the
  other default-ignorable code points that draw nothing (Hangul fillers,
  U+034F, U+115F/U+1160, U+17B4/U+17B5, U+FFF0–U+FFF8, U+1BCA0–U+1BCA3).
- Kept as they are, because real text needs them:
  variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF, Mongolian U+180B–U+180D
  and U+180F), which pick emoji or text presentation;
  ZERO WIDTH JOINER between two emoji (``👩‍💻``; a variation selector or skin
  tone may sit before the joiner);
  ZERO WIDTH JOINER and NON-JOINER between two letters or marks of the scripts
  that shape with them (Arabic to Sinhala, U+0600–U+0DFF: Persian words,
  Devanagari half forms), where hiding is no spoofing risk for Latin names;
  an emoji tag sequence (``🏴`` then tags U+E0020–U+E007E then CANCEL TAG
  U+E007F: the flags of England, Scotland, Wales), and only that: tags
  anywhere else can smuggle invisible ASCII.

Errors are shown through `error_text`: secrets are redacted first (the
patterns and registered values of `plow_tui.logs`), then the text is made safe.

`safe_json` applies the same rule to JSON output, escaping as ``\\uXXXX``
instead of drawing a placeholder, so the data survives a round trip.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any

__all__ = ["safe_text", "safe_line", "safe_json", "error_text"]

TAB = "    "
DEL_PICTURE = "\u2421"  # ␡

_ZWNJ = "\u200c"
_ZWJ = "\u200d"
_BLACK_FLAG = "\U0001f3f4"
_CANCEL_TAG = "\U000e007f"

# Default-ignorable code points outside Cc/Cf that draw nothing. Variation
# selectors are default-ignorable too, but kept (see the module docstring).
_INVISIBLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x2028, 0x2029, 0x3164, 0xFFA0]
    + list(range(0xFFF0, 0xFFF9))
    + list(range(0x1BCA0, 0x1BCA4))
)


def _is_variation_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or code in (0x180B, 0x180C, 0x180D, 0x180F)


def _is_skin_tone(code: int) -> bool:
    return 0x1F3FB <= code <= 0x1F3FF


def _is_emoji(char: str) -> bool:
    # Python has no Extended_Pictographic property; these blocks hold every
    # emoji that takes part in a ZWJ sequence (people, hearts, ♀/♂, ⚧, 🔥, ...).
    code = ord(char)
    return (
        0x1F000 <= code <= 0x1FAFF
        or 0x2190 <= code <= 0x2BFF
        or code in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
    )


def _is_joining_letter(char: str) -> bool:
    return 0x0600 <= ord(char) <= 0x0DFF and unicodedata.category(char)[0] in "LM"


def _suspect(char: str) -> bool:
    """Whether `char` is, out of context, not shown as itself (a line break is layout: callers decide)."""
    code = ord(char)
    if char == "\n":
        return False
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return True
    if code < 0xA0:
        return False
    if _is_variation_selector(code):
        return False
    return (
        unicodedata.category(char) in ("Cf", "Cs", "Zl", "Zp")
        or code in _INVISIBLE
        or 0xE0000 <= code <= 0xE0FFF  # the tag block, assigned or not (flags aside)
        or code == 0x2065  # unassigned among the bidi isolates
    )


def _joiner_kept(text: str, index: int) -> bool:
    """Whether the ZWJ/ZWNJ at `index` joins real text (emoji or a shaping script)."""
    if index == 0 or index + 1 >= len(text):
        return False
    after = text[index + 1]
    before_index = index - 1
    if text[index] == _ZWJ:
        # Skip what may sit between an emoji and its joiner.
        while before_index > 0 and (
            _is_variation_selector(ord(text[before_index])) or _is_skin_tone(ord(text[before_index]))
        ):
            before_index -= 1
        if _is_emoji(text[before_index]) and _is_emoji(after):
            return True
    return _is_joining_letter(text[index - 1]) and _is_joining_letter(after)


def _is_flag_tag(code: int) -> bool:
    return 0xE0020 <= code <= 0xE007E


def _in_flag(text: str, index: int) -> bool:
    """Whether the tag character at `index` belongs to `🏴 tags… CANCEL TAG`."""
    start = index if text[index] != _CANCEL_TAG else index - 1
    while start >= 0 and _is_flag_tag(ord(text[start])):
        start -= 1
    if start < 0 or text[start] != _BLACK_FLAG or start + 1 > index - (text[index] == _CANCEL_TAG):
        return False  # no flag before the run, or a CANCEL TAG with no tags before it
    end = index
    while end < len(text) and _is_flag_tag(ord(text[end])):
        end += 1
    return end < len(text) and text[end] == _CANCEL_TAG


# Every character `_suspect` flags, as classes: Cc (but "\n"), Cf, Cs, Zl, Zp,
# the invisible ones and the tag block, variation selectors left out.
# Generated from `_suspect` over all code points (Unicode 14, Python 3.11's
# tables); tests/test_terminal_text.py checks they still match this Python's
# tables. Regexes keep plain text at C speed; a class of BMP characters only is
# a bitmap (~0.01 µs a character), so the astral ones are a second class, only
# searched in text that has astral characters.
_SUSPECT_ASCII = re.compile("[\x00-\x09\x0b-\x1f\x7f]")


# The suspect characters that `str.isprintable()` calls printable (letters and
# marks that draw nothing); every other one makes it answer False.
_PRINTABLE_SUSPECTS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")


@functools.cache
def _suspect_classes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(the BMP suspects, the astral suspects), compiled when first needed.

    Only text that has a suspect character beyond ASCII needs them: compiling
    them took ~3-6 ms, before the main screen's first frame when it met any
    text beyond ASCII (a name, the `·` of the account's label).
    """
    bmp = re.compile(
        "[\x00-\x09\x0b-\x1f\x7f-\x9f\xad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2"
        "\u115f-\u1160\u17b4-\u17b5\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164"
        "\ud800-\udfff\ufeff\uffa0\ufff0-\ufffb]"
    )
    astral = re.compile(
        "[\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
        "\U000e0000-\U000e00ff\U000e01f0-\U000e0fff]"
    )
    return bmp, astral


def _shown(match: re.Match[str], placeholder: Callable[[str], str]) -> str:
    """What a suspect character becomes: itself where real text needs it, else `placeholder`."""
    char = match.group()
    text = match.string
    index = match.start()
    if char in (_ZWJ, _ZWNJ) and _joiner_kept(text, index):
        return char
    if 0xE0020 <= ord(char) <= 0xE007F and _in_flag(text, index):
        return char
    return placeholder(char)


def _replace(text: str, placeholder: Callable[[str], str]) -> str:
    if text.isascii():  # O(1): the common case
        return _SUSPECT_ASCII.sub(lambda match: placeholder(match.group()), text)
    # `isprintable` runs in C at ~2 ns a character: most text ends here.
    if text.replace("\n", " ").isprintable() and _PRINTABLE_SUSPECTS.isdisjoint(text):
        return text
    bmp, astral = _suspect_classes()
    text = bmp.sub(lambda match: _shown(match, placeholder), text)
    return astral.sub(lambda match: _shown(match, placeholder), text)


def _picture(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode control pictures: ␛ for ESC, ␍ for CR
    if code == 0x7F:
        return DEL_PICTURE
    return f"<U+{code:04X}>"


def safe_text(text: str) -> str:
    """Multi-line `text` safe for a terminal: line breaks kept, all else made visible."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if "\t" in text:
        text = text.replace("\t", TAB)
    return _replace(text, _picture)


def safe_line(text: str, *, line_break: str = " ") -> str:
    """`text` on one line, safe for a terminal: each line break becomes `line_break`.

    The CLI passes `" ↵ "` where a message body must keep its shape on one line;
    titles and names use the default space.
    """
    return safe_text(text).replace("\n", line_break)


def error_text(error: BaseException | str) -> str:
    """An error as one line for the app or the CLI: secrets redacted, then made safe.

    Redaction comes first, on the text as the error holds it: a sanitised or
    reworded message could hide a token from the patterns.
    """
    from plow_tui.logs import redact

    return safe_line(redact(str(error)))


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def safe_json(value: Any, **dumps_options: Any) -> str:
    """`json.dumps(value, ensure_ascii=False)` with every character the rule
    would not show as itself escaped as ``\\uXXXX``.

    `json.dumps` escapes only C0 controls; C1 controls (U+009B is a one-byte
    CSI), DEL, bidi and zero-width characters would otherwise reach the reader's
    terminal, and a lone surrogate would make the print fail. Escaped, they are
    inert and the data is unchanged for a JSON reader.
    """
    dumps_options.setdefault("ensure_ascii", False)
    # Real line breaks and tabs in the output can only be `indent` whitespace
    # between tokens (json.dumps escapes them inside strings): they stay.
    return _replace(json.dumps(value, **dumps_options), lambda char: char if char in "\n\t" else _escape(char))
