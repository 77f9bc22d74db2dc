"""The one terminal sanitiser (plow_tui.terminal_text): the written rule, case by case and fuzzed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plow_tui.terminal_text import safe_json, safe_line, safe_text
from tests.support.hostile import HOSTILE_CHARACTERS, SEQUENCES, hostile_text, raw_characters


@pytest.mark.parametrize(
    ("given_text", "shown"),
    [
        ("\x1b[2J", "␛[2J"),
        ("\x1b]0;title\x07", "␛]0;title␇"),
        ("a\x00b\x7fc", "a␀b␡c"),
        ("\x9b31m", "<U+009B>31m"),
        ("\u202egnp.exe", "<U+202E>gnp.exe"),
        ("\u2066x\u2069 \u200e\u200f\u061c", "<U+2066>x<U+2069> <U+200E><U+200F><U+061C>"),
        ("pay\u200bpal\u2060\ufeff", "pay<U+200B>pal<U+2060><U+FEFF>"),
        ("a\u200cb a\u200db", "a<U+200C>b a<U+200D>b"),  # Latin: a hiding place, shown
        ("soft\u00adhyphen", "soft<U+00AD>hyphen"),
        ("\u3164", "<U+3164>"),  # Hangul filler: an "empty" name
        ("x\u2028y", "x<U+2028>y"),
        ("\ud800", "<U+D800>"),
        ("\U000e0041\U000e0042", "<U+E0041><U+E0042>"),  # tags smuggling "AB"
        ("tab\there", "tab    here"),
        ("cr\rlf\r\nend", "cr␍lf\nend"),
    ],
)
def test_the_rule_case_by_case(given_text: str, shown: str) -> None:
    assert safe_text(given_text) == shown


@pytest.mark.parametrize(
    "real_text",
    [
        "plain ASCII, punctuation [b]not markup[/b] and digits 0123",
        "👩\u200d💻 👩🏽\u200d🚀 ❤\ufe0f\u200d🔥 🏳\ufe0f\u200d⚧\ufe0f 👨\u200d👩\u200d👧",  # ZWJ emoji
        "☺\ufe0e ☺\ufe0f",  # variation selectors: text and emoji presentation
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # flag of England
        "می\u200cخواهم",  # Persian: ZWNJ inside a word
        "क्\u200dष",  # Devanagari: ZWJ for a half form
        "héllo wörld — 日本語 ١٢٣ עברית",
    ],
)
def test_real_text_is_unchanged(real_text: str) -> None:
    assert safe_text(real_text) == real_text


def test_a_flag_tag_run_needs_its_flag_and_its_cancel_tag() -> None:
    assert safe_text("🏴\U000e0067\U000e0062") == "🏴<U+E0067><U+E0062>"
    assert safe_text("x\U000e0067\U000e007f") == "x<U+E0067><U+E007F>"


def test_a_joiner_at_either_end_is_shown() -> None:
    assert safe_text("\u200d👩") == "<U+200D>👩"
    assert safe_text("👩\u200d") == "👩<U+200D>"


def test_one_line() -> None:
    assert safe_line("a\nb\r\nc") == "a b c"
    assert safe_line("a\nb", line_break=" ↵ ") == "a ↵ b"
    assert safe_line("a\x1b[2Jb\rc") == "a␛[2Jb␍c"


def test_json_escapes_what_a_terminal_would_act_on_and_round_trips() -> None:
    value = {"title": "x\x9b31my\u202e\u200b\x7f\ud800 👩\u200d💻", "n": 1}
    out = safe_json(value, indent=2)
    assert raw_characters(out.replace("👩\u200d💻", "")) == []
    assert "\\u009b" in out and "\\u202e" in out and "\\u200b" in out and "\\u007f" in out
    assert "👩\u200d💻" in out  # real text stays readable
    assert json.loads(out) == value


@settings(max_examples=150, deadline=None)
@given(hostile_text(max_size=8))
def test_nothing_raw_survives(text: str) -> None:
    shown = safe_text(text)
    assert raw_characters(shown) == []
    assert raw_characters(safe_line(text), newlines=False) == []
    assert safe_text(shown) == shown  # placeholders are themselves plain text


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_any_text_is_made_safe_and_every_character_leaves_a_trace(text: str) -> None:
    shown = safe_text(text)
    for char in ("\x1b", "\x9b", "\u202e", "\u200b", "\x07"):
        assert char not in shown
    assert safe_text(shown) == shown
    # Nothing vanishes: every line of the input is still there, visibly.
    assert len(shown.split("\n")) == len(text.replace("\r\n", "\n").split("\n"))
    assert len(shown) >= len(text.replace("\r\n", "\n"))


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.integers() | hostile_text() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text(3), inner, max_size=3),
                    max_leaves=8))
def test_json_is_safe_and_lossless(value: object) -> None:
    out = safe_json(value)
    assert raw_characters(out, newlines=False) == []
    assert json.loads(out) == value


@pytest.mark.parametrize("char", HOSTILE_CHARACTERS)
def test_every_hostile_character_is_shown(char: str) -> None:
    if char in "\n\t":
        return  # line breaks and tabs are layout, covered above
    shown = safe_text(f"a{char}b")
    assert shown != f"a{char}b" and shown.startswith("a") and shown.endswith("b") and len(shown) > 2


@pytest.mark.parametrize("sequence", SEQUENCES)
def test_every_hostile_sequence_is_inert(sequence: str) -> None:
    assert raw_characters(safe_text(sequence)) == []


def test_the_fast_class_is_the_rule_for_every_code_point() -> None:
    # The regex class is generated from `_suspect`; a Python with newer Unicode
    # tables (new format characters) makes this fail: regenerate the class then.
    from plow_tui.terminal_text import _PRINTABLE_SUSPECTS, _SUSPECT_ASCII, _suspect, _suspect_classes

    suspect_bmp, suspect_astral = _suspect_classes()
    # Planes 0, 1 and 14: the others (CJK extensions, private use) hold no format characters.
    planes = [*range(0x20000), *range(0xE0000, 0xF0000)]
    classes = [suspect_bmp, suspect_astral]
    differ = [hex(c) for c in planes if any(rx.fullmatch(chr(c)) for rx in classes) != _suspect(chr(c))]
    assert differ == []
    assert [c for c in range(0x80) if bool(_SUSPECT_ASCII.fullmatch(chr(c))) != _suspect(chr(c))] == []
    # The fast path trusts `str.isprintable()` for all but these.
    printable = [hex(c) for c in planes if _suspect(chr(c)) and chr(c).isprintable()]
    assert printable == [hex(c) for c in planes if chr(c) in _PRINTABLE_SUSPECTS]


def test_the_classes_beyond_ascii_are_compiled_when_first_needed() -> None:
    # Compiling them took ~3-6 ms before the main screen's first frame, where text is
    # mostly ASCII, or printable beyond it (the account's label: `Ada · +1 (555) …`).
    from support.compiled import compiled_counts

    steps = [
        "from plow_tui.terminal_text import safe_line\nsafe_line('Bench chat 00999')",
        "safe_line('Ad\u00e0 \u00b7 +1 (555) 123-0002 \U0001f600')",
        "safe_line('caf\u00e9 \u200b')",
    ]
    assert compiled_counts("plow_tui.terminal_text", steps) == [1, 1, 3]
