"""`Unsent`: a text that left the editor but is not known to be on the server.

The store keeps them (its `outbox` table) and each chat's `Outbox` in the app
works on them; this module is their one shape, without Textual.
"""

from __future__ import annotations

from datetime import datetime

from plow_tui.record import Record, set_field

# What an unsent text can be:
# - `waiting`: never tried, because the server was unreachable; it goes out on its own, in order, when it is back;
# - `sending`: in flight (if the process died, it may have landed);
# - `unknown`: sent with no answer (it may have landed);
# - `failed`: refused by the server (it did not land); `r` sends it again.
UNSENT_STATES = ("waiting", "sending", "unknown", "failed")


class Unsent(Record):
    """A text that left the editor but is not known to be on the server.

    `uid` is the local placeholder's (unique across restarts), `at` when it
    was sent (local clock), `after` the newest message its chat showed then:
    if it landed, the message it became is newer than that (`landed_as`).
    """

    __slots__ = ("uid", "body", "at", "state", "after")
    frozen = True

    uid: str
    body: str
    at: datetime
    state: str
    after: str | None

    def __init__(self, uid: str, body: str, at: datetime, state: str = "sending", after: str | None = None) -> None:
        set_field(self, "uid", uid)
        set_field(self, "body", body)
        set_field(self, "at", at)
        set_field(self, "state", state)
        set_field(self, "after", after)
