"""Phone numbers: the simulated phone's default number, reading one a person typed, showing one.

Apart from the sandbox phone's client (`client/phone.py`), so the chat list
and the app's start can use them without loading that client (its models,
JSON and URL handling) before the first frame.
"""

from __future__ import annotations

import re

# The simulated phone's number unless told otherwise (not a pool line).
DEFAULT_PHONE = "+15551230002"

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_SEPARATORS = re.compile(r"[\s().\-]")


def normalize_phone(text: str) -> str:
    """E.164 from what a person types (`+1 (555) 123-0002` → `+15551230002`).

    Raises ValueError with a sentence to show when it is not a phone number.
    Only separators are removed: a number without its `+country` prefix is
    refused rather than guessed.
    """
    candidate = _SEPARATORS.sub("", text.strip())
    if not _E164.match(candidate):
        raise ValueError(f"{text.strip() or 'An empty number'!s} is not a phone number like +15551230002.")
    return candidate


def format_phone(number: str | None) -> str:
    """A number formatted for reading: `+1 (555) 000-0001` for North America.

    Other numbers stay in E.164: grouping depends on the country, and a
    wrong grouping reads worse than none.
    """
    if not number:
        return ""
    if _E164.match(number) and number.startswith("+1") and len(number) == 12:
        digits = number[2:]
        return f"+1 ({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return number
