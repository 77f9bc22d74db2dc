"""Rules every command's lines share (`commands/output.py`): a connection's trouble, a message's time."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from plow_tui.commands.output import connection_note, local_time


def test_trouble_is_said_with_the_wait_and_the_end_without_one() -> None:
    assert connection_note("live", None, None) is None
    assert connection_note("connecting", None, None) is None
    assert connection_note("reconnecting", "connection lost", 2.4) == "[reconnecting: connection lost; retrying in 2 s]"
    assert connection_note("reconnecting", "the token was refused; signing in again", 0.0) == (
        "[reconnecting: the token was refused; signing in again; retrying in 0 s]"  # Airy's at-once retry, said too
    )
    # The last event of a stream that ends for good: no retry planned (the error follows, from the runner).
    assert connection_note("offline", "not signed in", None) == "[offline: not signed in]"


def test_a_servers_reason_cannot_act_on_the_terminal() -> None:
    note = connection_note("offline", "gone\x1b[2J", None)
    assert note is not None and "\x1b" not in note


def test_times_are_the_machines_to_the_minute_and_unknown_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert local_time(datetime(2026, 11, 26, 15, 44, 59, tzinfo=timezone.utc)) == "2026-11-26 10:44"
    finally:
        monkeypatch.undo()
        time.tzset()
    assert local_time(None) == "????-??-?? ??:??"
