"""What both `tail`s say on stderr about their live connection: one rule (`output.connection_note`)."""

from __future__ import annotations

from plow_tui.commands.output import connection_note


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
