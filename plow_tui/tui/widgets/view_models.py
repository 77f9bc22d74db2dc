"""The view models the widgets draw: what a backend turns its resources into (see each wing's `views.py`).

Backend-neutral and Textual-free: `Entry` is one message in a `Conversation`,
`ChatSummary` one chat in a `ChatList`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from plow_tui.record import Record, set_field


# An outbound text's delivery state as a mark, in a conversation and in a chat row's preview.
GLYPHS = {"sending": "…", "waiting": "◷", "sent": "✓", "delivered": "✓✓", "failed": "✗", "unknown": "?"}


# Not frozen: setting every field through `object.__setattr__` made building
# the entries of a 5,000-message backlog more than twice as slow (issue #8).
# Entries are immutable all the same (the block cache tells them apart by
# identity): change one with `record.replace`. They are hashable as before.
class Entry(Record):
    """One message as the conversation shows it (backend-neutral view model).

    `state` is the delivery state of an outbound message: one of `GLYPHS`, any
    other string (shown as text), or None for inbound messages.
    """

    __slots__ = ("uid", "author", "body", "at", "outbound", "state")

    uid: str
    author: str
    body: str
    at: datetime
    outbound: bool
    state: str | None

    def __init__(self, uid: str, author: str, body: str, at: datetime, outbound: bool, state: str | None = None) -> None:
        if at.tzinfo is None:
            raise ValueError(f"Entry {uid!r}: `at` must be timezone-aware (UTC)")
        self.uid = uid
        self.author = author
        self.body = body
        self.at = at
        self.outbound = outbound
        self.state = state


def server_order(entry: Entry) -> datetime:
    """The order messages are kept in: time. Ties keep the order they came in (a stable
    sort), so two texts of ours sent in the same instant never swap (local ids are no order)."""
    return entry.at


def first_unread(entries: Sequence[Entry], count: int) -> str | None:
    """The uid of the oldest of the newest `count` inbound entries: where the unread part starts.

    Fewer inbound entries shown than `count` (older pages not loaded): the oldest shown one.
    """
    found: str | None = None
    for entry in reversed(entries):
        if count <= 0:
            break
        if not entry.outbound:
            found = entry.uid
            count -= 1
    return found


class ChatSummary(Record):
    """One chat as the list shows it (backend-neutral view model).

    `status` is "active", "pending", "failed" or None; other values show as a
    badge. The third line shows, by status: `failed — <failure_reason>`,
    `pending — <connection_note>` (who we're waiting for), or the preview.
    `number` is as stored (the filter finds it typed either way), `number_shown`
    as the backend formats it for reading (None: `number` as it is).
    `draft`: the editor holds unsent text for this chat (a `✎` on the first line).
    """

    __slots__ = (
        "uid", "title", "number", "status", "failure_reason", "preview",
        "last_at", "unread", "connection_note", "draft", "number_shown",
    )  # fmt: skip
    frozen = True

    uid: str
    title: str
    number: str | None
    status: str | None
    failure_reason: str | None
    preview: str | None
    last_at: datetime | None
    unread: int
    connection_note: str | None
    draft: bool
    number_shown: str | None

    def __init__(
        self,
        uid: str,
        title: str,
        number: str | None = None,
        status: str | None = None,
        failure_reason: str | None = None,
        preview: str | None = None,
        last_at: datetime | None = None,
        unread: int = 0,
        connection_note: str | None = None,
        draft: bool = False,
        number_shown: str | None = None,
    ) -> None:
        set_field(self, "uid", uid)
        set_field(self, "title", title)
        set_field(self, "number", number)
        set_field(self, "status", status)
        set_field(self, "failure_reason", failure_reason)
        set_field(self, "preview", preview)
        set_field(self, "last_at", last_at)
        set_field(self, "unread", unread)
        set_field(self, "connection_note", connection_note)
        set_field(self, "draft", draft)
        set_field(self, "number_shown", number_shown)

    def matches(self, needle: str) -> bool:
        """Case-insensitive match on title, number (as stored or as shown) and preview."""
        needle = needle.casefold()
        haystacks = (self.title, self.number, self.number_shown, self.preview)
        return any(needle in value.casefold() for value in haystacks if value)
