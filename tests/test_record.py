"""`Record` keeps the meaning of the dataclasses it replaced (plow_tui/record.py)."""

from __future__ import annotations

import pytest

from plow_tui.client.models import ChatMessage, Line, Member
from plow_tui.record import replace


def test_equal_and_hashed_by_fields_but_not_by_raw() -> None:
    a = Line(uid="ln_1", display_name="Main", raw={"extra": 1})
    b = Line(uid="ln_1", display_name="Main", raw={"other": 2})
    assert a == b and hash(a) == hash(b)
    assert a != Line(uid="ln_1", display_name="Other")
    assert {a, b} == {a}


def test_records_of_other_classes_are_never_equal() -> None:
    assert Line(uid="x") != Member(uid="x")
    assert Line(uid="x") != ("x", None, None, None)


def test_repr_shows_fields_but_not_the_raw_json() -> None:
    shown = repr(Member(uid="cp_1", display_name="Sarah", raw={"secret_looking": "zzz"}))
    assert shown.startswith("Member(uid='cp_1', status=None, display_name='Sarah'")
    assert "zzz" not in shown and "raw" not in shown


def test_frozen_records_refuse_changes() -> None:
    line = Line(uid="ln_1")
    with pytest.raises(AttributeError):
        line.uid = "ln_2"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del line.uid  # type: ignore[misc]
    assert line.uid == "ln_1"


def test_replace_copies_with_changes_and_names_an_unknown_field() -> None:
    message = ChatMessage.from_json({"uid": "msg_1", "chat_uid": "ch_1", "direction": "outbound", "body": "hi", "status": "queued"})
    sent = replace(message, status="sent")
    assert (sent.uid, sent.body, sent.status, message.status) == ("msg_1", "hi", "sent", "queued")
    with pytest.raises(TypeError, match="no field 'colour'"):
        replace(message, colour="red")
