"""Plow resources turned into the backend-neutral view models the widgets draw."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import attrgetter

from plow_tui.client.delivery import later_state  # noqa: F401  (re-exported for the widgets)
from plow_tui.client.models import Chat, ChatMessage
from plow_tui.client.numbers import format_phone
from plow_tui.client.texts import MAX_BODY, split_body  # noqa: F401  (re-exported: the rule lives in client/texts.py)
from plow_tui.store.unsent import Unsent
from plow_tui.terminal_text import safe_line
from plow_tui.tui.widgets.view_models import GLYPHS, ChatSummary, Entry



_uid = attrgetter("uid")


def author_of(message: ChatMessage) -> str:
    if message.is_outbound:
        return "you"
    sender = message.sender
    return sender.display_name or sender.provider_key or "them"


def message_entries(messages: Iterable[ChatMessage], fallback_time: datetime) -> list[Entry]:
    """An `Entry` for each of `messages`; `fallback_time` stands in for a missing timestamp.

    One loop for a batch: a catch-up's thousands took twice as long built one call each.
    """
    entries: list[Entry] = []
    add = entries.append
    for message in messages:
        outbound = message.is_outbound
        add(
            Entry(
                message.uid,
                author_of(message),
                message.body,
                message.created_at or fallback_time,
                outbound,
                (message.status or "sent") if outbound else None,
            )
        )
    return entries


class EntriesAhead:
    """Entries made for a catch-up's messages page by page, while its walk waits for the server.

    A catch-up delivers its thousands in one batch after its last page, and
    until then the app mostly waits for pages: made as each page is sorted
    out (`ChatStream`'s `on_catch_up_page`), the batch's entries are looked up
    when it comes instead of made after the last page, where the reader waits
    for them. Only for one catch-up at a time (`clear` as each starts): in one,
    a uid is one message, the same object in a page and in the batch. Messages
    without a time are left to the batch (they take its `fallback_time`).
    """

    def __init__(self) -> None:
        self._made: dict[str, Entry] = {}

    def clear(self) -> None:
        self._made = {}

    def prepare(self, messages: Iterable[ChatMessage], fallback_time: datetime) -> list[Entry]:
        """Make the entries of `messages` (those with a time) now; those entries, in the same order."""
        timed = [message for message in messages if message.created_at is not None]
        made = message_entries(timed, fallback_time)
        self._made.update(zip(map(_uid, timed), made))
        return made

    def entries(self, messages: Sequence[ChatMessage], fallback_time: datetime) -> list[Entry]:
        """`message_entries(messages, fallback_time)`, taking those made ahead."""
        made = self._made
        if not made:
            return message_entries(messages, fallback_time)
        entries = list(map(made.get, map(_uid, messages)))
        if None in entries:
            missing = [index for index, entry in enumerate(entries) if entry is None]
            for index, entry in zip(missing, message_entries([messages[index] for index in missing], fallback_time)):
                entries[index] = entry
        return entries  # type: ignore[return-value]  (no None left)


def message_entry(message: ChatMessage, fallback_time: datetime) -> Entry:
    """An `Entry` for `message` (see `message_entries`)."""
    return message_entries((message,), fallback_time)[0]


# A gap: messages missing from the local history just below a message, because a
# catch-up was cut short (client/stream.py's caps). It shows as one line at that
# place; scrolling up to it loads them from the server (`ChatsScreen._fill_gap`).
GAP_PREFIX = "gap:"
GAP_TEXT = "… older messages not loaded: scroll up to load them …"


def gap_entry(above: Entry) -> Entry:
    """The line standing for the messages missing just below `above` (shown above it)."""
    return Entry(GAP_PREFIX + above.uid, "", GAP_TEXT, above.at, False)


def gap_below(uid: str | None) -> str | None:
    """The message a gap line stands below (None: `uid` is not a gap line)."""
    return uid[len(GAP_PREFIX) :] if uid and uid.startswith(GAP_PREFIX) else None


def delivery_failure(message: ChatMessage) -> str | None:
    """Why the server says `message` was not delivered, where it says (None otherwise).

    PROTOCOL.md §5 leaves the failed update's fields open; the names servers
    use for a reason are read tolerantly: `failure_reason`, `error` (a
    sentence or `{"message": …}`), `reason`. Shown literally, on one line.
    """
    raw = message.raw if isinstance(message.raw, dict) else {}
    for key in ("failure_reason", "error", "reason"):
        value = raw.get(key)
        if isinstance(value, dict):
            value = value.get("message")
        if isinstance(value, str) and value.strip():
            return safe_line(value.strip())
    return None


def failure_reasons(messages: Iterable[ChatMessage]) -> dict[str, str | None]:
    """`delivery_failure` of each failed message of `messages`, by uid."""
    return {m.uid: delivery_failure(m) for m in messages if m.status == "failed"}


def account_label(chats: Iterable[Chat]) -> str | None:
    """`Ada · +1 (555) 123-0002`: the account owner as the chats show them (None if none does)."""
    for chat in chats:
        for member in chat.members:
            if member.is_owner and (member.display_name or member.provider_key):
                parts = [safe_line(member.display_name)] if member.display_name else []
                if member.provider_key:
                    parts.append(format_number(member.provider_key))
                return " · ".join(parts)
    return None


def waiting_for(chat: Chat) -> str | None:
    """`waiting for Sarah, Patrick` for a pending chat."""
    names = [m.display_name or "a member" for m in chat.members if not m.is_verified]
    return f"waiting for {', '.join(names)}" if names else None


def format_number(number: str | None) -> str:
    """A phone number formatted for reading (`+1 (555) 000-0001`), safe to draw.

    Anything that is not E.164 is shown as given (made literal), so an unusual
    number is never hidden or mangled.
    """
    return safe_line(format_phone(number))


def chat_summary(
    chat: Chat, *, last: ChatMessage | None = None, unread: int = 0, draft: bool = False, unsent: Unsent | None = None
) -> ChatSummary:
    """The chat list's row for `chat`, with its newest message when known.

    `unsent`: its newest text not known to be on the server; the preview when
    it is newer than `last`, with its mark (`◷` waiting, `✗` refused, ...).
    """
    preview = None
    if unsent is not None and (last is None or last.created_at is None or unsent.at >= last.created_at):
        mark = GLYPHS.get(unsent.state, "")
        preview = f"you: {mark} {unsent.body}" if mark else f"you: {unsent.body}"
    elif last is not None:
        preview = f"you: {last.body}" if last.is_outbound else last.body
    return ChatSummary(
        uid=chat.uid,
        title=chat.title,
        number=chat.number,
        status=chat.status,
        failure_reason=chat.failure_reason,
        preview=preview,
        last_at=(last.created_at if last is not None else None) or chat.created_at,
        unread=unread,
        connection_note=waiting_for(chat) if chat.status == "pending" else None,
        number_shown=format_number(chat.number) if chat.number else None,
        draft=draft,
    )
