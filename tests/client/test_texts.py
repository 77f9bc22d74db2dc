"""The rules of a text to a phone (client/texts.py): how a long one is cut, the `sms:` link."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plow_tui.client.texts import MAX_BODY, sms_uri, split_body


def test_a_short_text_is_one_part() -> None:
    assert split_body("short") == ["short"]
    assert split_body("a" * MAX_BODY) == ["a" * MAX_BODY]


def test_a_line_break_wins_over_a_later_space() -> None:
    # The space at 18 is nearer the limit, yet the cut is at the line break (11).
    text = "first para.\nsecond para which is long"
    assert split_body(text, limit=20) == ["first para.", "second para which is", "long"]


def test_a_space_when_there_is_no_line_break_then_a_hard_cut() -> None:
    assert split_body("word " * 1000) == ["word " * 799 + "word", "word " * 200]
    assert split_body("a" * 4001) == ["a" * 4000, "a"]


def test_a_break_in_the_first_half_is_not_taken() -> None:
    # A newline at 2 would leave a stub: cut at the limit instead.
    assert split_body("ab\n" + "c" * 30, limit=20) == ["ab\n" + "c" * 17, "c" * 13]


def test_a_break_just_after_the_limit_leaves_a_full_part() -> None:
    assert split_body("a" * 20 + "\nb", limit=20) == ["a" * 20, "b"]


@given(st.text(alphabet="ab \n", max_size=200), st.integers(min_value=2, max_value=30))
def test_parts_fit_are_never_empty_and_keep_every_other_character(text: str, limit: int) -> None:
    parts = split_body(text, limit)
    assert all(0 < len(part) <= limit and part.strip() for part in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


@pytest.mark.parametrize(
    ("body", "query"),
    [
        ("Plow Activate: K7Q2D", "Plow%20Activate%3A%20K7Q2D"),
        ("Plow Activate: K7/Q2", "Plow%20Activate%3A%20K7%2FQ2"),  # one form, whoever asks
        ("a&b#c?d+e", "a%26b%23c%3Fd%2Be"),
    ],
)
def test_sms_uri_encodes_everything_but_unreserved(body: str, query: str) -> None:
    assert sms_uri("+15550000001", body) == f"sms:+15550000001?&body={query}"
