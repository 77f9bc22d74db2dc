"""`ChatBook`: what the main screen knows about the account's chats, and its rules, without Textual.

The screen (`ChatsScreen`) owns workers, widgets and handlers; it feeds the
book what the server and the stream said and draws what the book answers.
Every rule about the chat list lives here, so each is unit-tested without
an app (tests/tui/test_chat_book.py):

- which chats are listed: a chat the server stops listing is dropped, unless
  it failed (PROTOCOL §4 lists neither failed nor deleted chats; a failed one
  keeps its reason visible);
- the newest message per chat (the row's preview and the stream's anchor),
  moved only forward in time, and which chats are known to have none;
- unread counts: inbound messages of a chat that is not open;
- VERIFY codes from create/resend answers (the server never shows them again);
- early arrivals: messages and status changes for an opened chat whose first
  page is still loading. The page may have been read before they happened,
  so they are kept and replayed over it when it lands;
- drafts, and texts from before a restart for chats not opened since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import TypeVar

from plow_tui.client.models import Chat, Member, ChatMessage
from plow_tui.record import Record, set_field, replace
from plow_tui.store.unsent import Unsent

_chat_uid = attrgetter("chat_uid")


# The book's answers are Records and the book a plain class, not dataclasses or named
# tuples: this module loads before the main screen's first frame, and those compile
# code as they are defined (~1.7 and ~0.7 ms each on Python 3.11).
class Listed(Record):
    """What a fresh chat list changed: chats dropped, and chats whose newest message is unknown."""

    __slots__ = ("removed", "without_preview")
    frozen = True

    removed: tuple[str, ...]
    without_preview: tuple[str, ...]

    def __init__(self, removed: tuple[str, ...], without_preview: tuple[str, ...]) -> None:
        set_field(self, "removed", removed)
        set_field(self, "without_preview", without_preview)


class Arrival(Record):
    """One chat's share of a batch of messages from the stream."""

    __slots__ = ("chat_uid", "show", "inbound", "unknown", "newest_inbound")
    frozen = True

    chat_uid: str
    show: tuple[ChatMessage, ...]  # for its pane now (empty when the chat is not open or still loading)
    inbound: int  # how many came from other people
    unknown: bool  # a chat not listed yet (created elsewhere): the list should be reloaded
    newest_inbound: ChatMessage | None  # the newest from other people, for a notification

    def __init__(
        self, chat_uid: str, show: tuple[ChatMessage, ...], inbound: int, unknown: bool, newest_inbound: ChatMessage | None = None
    ) -> None:
        set_field(self, "chat_uid", chat_uid)
        set_field(self, "show", show)
        set_field(self, "inbound", inbound)
        set_field(self, "unknown", unknown)
        set_field(self, "newest_inbound", newest_inbound)


class ChatBook:
    """The account's chats as the screen knows them now, fed events, answering what changed."""

    def __init__(self) -> None:
        self.chats: dict[str, Chat] = {}
        self.last: dict[str, ChatMessage] = {}  # newest message per chat
        self.empty: set[str] = set()  # chats known to have no messages yet
        self.unread: dict[str, int] = {}
        self.codes: dict[str, dict[str, Member]] = {}  # chat uid -> member uid -> member with its code
        self.drafts: dict[str, str] = {}  # chat uid -> the editor's text
        # chat uid -> texts not known to be on the server, from before a restart, for
        # chats not opened since (an opened chat's are its outbox's).
        self.restored: dict[str, list[Unsent]] = {}
        # chat uid -> the newest text its outbox holds (not known to be on the server): for the row's preview.
        self.outgoing: dict[str, Unsent] = {}
        self.open_uid: str | None = None  # the chat shown
        # Chats with a pane, and whether its first page has landed; before it has,
        # what the stream says about the chat waits in `early`.
        self.opened: dict[str, bool] = {}
        self.early: dict[str, list[ChatMessage]] = {}

    # -- the list -----------------------------------------------------------------

    def chats_loaded(self, chats: Sequence[Chat]) -> Listed:
        """The server's chat list: take it; what it no longer lists (unless failed) is to be removed (`remove`)."""
        listed = {chat.uid for chat in chats}
        for chat in chats:
            self.chats[chat.uid] = chat
        removed = tuple(uid for uid, chat in self.chats.items() if uid not in listed and chat.status != "failed")
        without_preview = tuple(
            uid for uid in self.chats if uid not in self.last and uid not in self.empty and uid not in removed
        )
        return Listed(removed, without_preview)

    def update(self, chat: Chat) -> None:
        """A chat's newer state (the stream, a create or resend answer)."""
        self.chats[chat.uid] = chat

    def created(self, chat: Chat, codes: Iterable[Member] = ()) -> None:
        """A chat created here: it has no messages yet; `codes` are its members' first codes."""
        if chat.uid not in self.chats:
            self.empty.add(chat.uid)  # nothing to backfill but what comes
        self.add_codes(chat.uid, codes)

    def add_codes(self, chat_uid: str, members: Iterable[Member]) -> None:
        """Keep the VERIFY codes of a create or resend answer."""
        codes = self.codes.setdefault(chat_uid, {})
        codes.update((member.uid, member) for member in members if member.verification_code)

    def remove(self, chat_uid: str) -> bool:
        """Forget a chat; True when it had a draft or unsent texts (the drafts file must be written)."""
        self.chats.pop(chat_uid, None)
        self.last.pop(chat_uid, None)
        self.empty.discard(chat_uid)
        self.unread.pop(chat_uid, None)
        self.codes.pop(chat_uid, None)
        self.early.pop(chat_uid, None)
        self.opened.pop(chat_uid, None)
        self.outgoing.pop(chat_uid, None)
        if self.open_uid == chat_uid:
            self.open_uid = None
        had_draft = self.drafts.pop(chat_uid, None) is not None
        return bool(self.restored.pop(chat_uid, None)) or had_draft

    def member_verified(self, chat_uid: str | None, member: Member) -> Chat | None:
        """The chat with `member` verified; None for a chat not listed (made elsewhere)."""
        chat = self.chats.get(chat_uid or "")
        if chat is None:
            return None
        chat = replace(chat, members=tuple(member if m.uid == member.uid else m for m in chat.members))
        self.chats[chat.uid] = chat
        return chat

    def waiting_code(self, chat: Chat) -> str | None:
        """The first code known for a member of `chat` who has not verified."""
        codes = self.codes.get(chat.uid, {})
        return next(
            (codes[m.uid].verification_code for m in chat.members if not m.is_verified and m.uid in codes),
            None,
        )

    # -- newest messages -------------------------------------------------------------

    def note_last(self, chat_uid: str, message: ChatMessage) -> None:
        """`message` is in `chat_uid`: it becomes the preview unless an older one (by time) is newer."""
        self.empty.discard(chat_uid)
        last = self.last.get(chat_uid)
        if last is None or last.created_at is None or (message.created_at or last.created_at) >= last.created_at:
            self.last[chat_uid] = message

    def previews_loaded(self, newest: Mapping[str, ChatMessage | None]) -> list[str]:
        """Each chat's newest message as the server answered (None: none); the listed chats whose preview is new."""
        fresh = [uid for uid, m in newest.items() if m is not None and uid not in self.last and uid in self.chats]
        for uid in fresh:
            self.last[uid] = newest[uid]  # type: ignore[assignment]
        self.empty.update(uid for uid, m in newest.items() if m is None and uid not in self.last)
        return fresh

    def anchors(self) -> dict[str, str | None]:
        """Where the stream's catch-up starts for each listed chat: the newest uid held.

        None: unknown (the stream looks it up); `NO_MESSAGES`: backfill from the first.
        """
        # Here, not at the top: the stream's module is not needed before the first frame.
        from plow_tui.client.stream import NO_MESSAGES

        anchors: dict[str, str | None] = {uid: NO_MESSAGES if uid in self.empty else None for uid in self.chats}
        anchors.update((uid, m.uid) for uid, m in self.last.items() if uid in self.chats)
        return anchors

    # -- opening a chat ----------------------------------------------------------------

    def open(self, chat_uid: str, *, shown: bool = True) -> tuple[bool, list[Unsent]]:
        """Show `chat_uid`: its unread count goes; (first time opened, its texts from before a restart).

        `shown=False`: opened out of sight (its waiting texts go out), its unread count stays.
        """
        first = chat_uid not in self.opened
        if first:
            self.opened[chat_uid] = False
        if shown:
            self.open_uid = chat_uid
            self.unread.pop(chat_uid, None)
        return first, self.restored.pop(chat_uid, []) if first else []

    def note_unsent(self, chat_uid: str, texts: Sequence[Unsent]) -> bool:
        """An opened chat's outbox holds `texts` (oldest first) now; True when its row's preview changes."""
        newest = texts[-1] if texts else None
        if self.outgoing.get(chat_uid) == newest:
            return False
        if newest is None:
            del self.outgoing[chat_uid]
        else:
            self.outgoing[chat_uid] = newest
        return True

    def newest_unsent(self, chat_uid: str) -> Unsent | None:
        """The newest text of `chat_uid` not known to be on the server (from before a restart, or its outbox's)."""
        restored = self.restored.get(chat_uid)
        return restored[-1] if restored else self.outgoing.get(chat_uid)

    def waiting_elsewhere(self) -> list[str]:
        """Chats not opened since a restart that hold texts waiting for the server."""
        return [
            uid for uid, texts in self.restored.items()
            if uid in self.chats and uid not in self.opened and any(t.state == "waiting" for t in texts)
        ]  # fmt: skip

    def first_page_loaded(self, chat_uid: str, newest_first: Sequence[ChatMessage]) -> list[ChatMessage]:
        """An opened chat's first page landed: what came from the stream meanwhile, to apply over it, in order."""
        self.opened[chat_uid] = True
        if newest_first:
            self.note_last(chat_uid, newest_first[0])
        return self.early.pop(chat_uid, [])

    # -- the stream ------------------------------------------------------------------------

    def messages_arrived(self, messages: Iterable[ChatMessage]) -> list[Arrival]:
        """A batch from the stream, per chat in the order met: unread counted, previews moved, early ones kept."""
        messages = list(messages)
        chat_uids = set(map(_chat_uid, messages))
        by_chat: dict[str, list[ChatMessage]] = {}
        if len(chat_uids) == 1:  # the usual batch (a catch-up's thousands): one chat's, grouped at C speed
            by_chat = {uid: messages for uid in chat_uids if uid}
        else:
            for message in messages:
                if message.chat_uid:
                    by_chat.setdefault(message.chat_uid, []).append(message)
        arrivals = []
        for chat_uid, batch in by_chat.items():
            loaded = self.opened.get(chat_uid)
            if loaded is False:
                self.early.setdefault(chat_uid, []).extend(batch)
            inbound = len(batch) - ChatMessage.outbound_count(batch)
            if inbound and chat_uid != self.open_uid:
                self.unread[chat_uid] = self.unread.get(chat_uid, 0) + inbound
            self.note_last(chat_uid, batch[-1])
            show = tuple(batch) if loaded else ()
            newest = next((m for m in reversed(batch) if not m.is_outbound), None)
            arrivals.append(Arrival(chat_uid, show, inbound, unknown=chat_uid not in self.chats, newest_inbound=newest))
        return arrivals

    def status_changed(self, message: ChatMessage) -> bool:
        """A message's delivery moved; True when its pane shows it now (False: not opened, or kept as early)."""
        chat_uid = message.chat_uid or ""
        loaded = self.opened.get(chat_uid)
        if loaded is False:
            self.early.setdefault(chat_uid, []).append(message)
        return bool(loaded)


E = TypeVar("E")


def in_order(
    entries: Sequence[E], *, at: Callable[[E], datetime], oldest_shown: datetime | None, has_older: bool, shown: Callable[[E], bool]
) -> list[E]:
    """The `entries` that may be appended below what a conversation shows.

    While older pages exist, one older than the oldest shown is left out
    (unless shown already, to be updated): a restarted stream may backfill
    messages from before the loaded page, and appended they would show out of
    order. The older page brings them.
    """
    if not has_older or oldest_shown is None or min(map(at, entries), default=oldest_shown) >= oldest_shown:
        return list(entries)  # (the usual batch: none older; `at` an attrgetter, checked at C speed)
    return [e for e in entries if at(e) >= oldest_shown or shown(e)]
