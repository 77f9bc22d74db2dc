"""`HistoryStore`: one account's chats, messages, codes, drafts and outbox in SQLite.

One file per API URL and account (see `plow_tui.store.location`), opened by
one process-wide writer: every call takes the store's lock, so the app may
call it from one worker thread while the CLI reads the same file from another
process (WAL mode lets readers in while a writer writes).

Why SQLite as it is used here:
- WAL with `synchronous=NORMAL`: a write costs no fsync; a power cut can lose
  the last transactions but never corrupts the file.
- Writes come in batches (`add_messages` takes a whole burst: one
  transaction, and one statement per 99 messages: see `add_messages`).
- Message bodies are indexed with FTS5 where the Python build has it (an
  external-content table kept in step by triggers); `search_mode` says which.
- The schema version is `PRAGMA user_version`; `MIGRATIONS[n]` takes a store
  from version n to n+1. A store from a newer version, or one SQLite cannot
  read, is moved aside (its unsent messages copied over when they can be
  read) and a fresh one built; `notice` says so in one line.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plow_tui.client.delivery import later_state
from plow_tui.client.models import Chat, Member, ChatMessage, Sender, parse_time
from plow_tui.store.unsent import UNSENT_STATES, Unsent

if TYPE_CHECKING:
    from plow_tui.store.search import SearchHit

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3

# Version 0 -> 1. Times are ISO-8601 UTC text with microseconds ("…T12:00:00.000000Z"),
# so they sort as text; a message without a time sorts first ('').
_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE chats (
    uid TEXT PRIMARY KEY,
    status TEXT,
    title TEXT NOT NULL,
    failure_reason TEXT,
    data TEXT NOT NULL            -- the chat as PROTOCOL §4 JSON (members and line), without codes
);
CREATE TABLE codes (               -- VERIFY codes: the server shows them only when made
    chat_uid TEXT NOT NULL,
    member_uid TEXT NOT NULL,
    code TEXT NOT NULL,
    expires_at TEXT,
    PRIMARY KEY (chat_uid, member_uid)
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    chat_uid TEXT NOT NULL,
    created_at TEXT NOT NULL,
    direction TEXT,
    status TEXT,
    body TEXT NOT NULL,
    sender_type TEXT,
    sender_uid TEXT,
    sender_name TEXT,
    sender_phone TEXT
);
CREATE INDEX messages_by_chat ON messages (chat_uid, created_at, id);
CREATE TABLE drafts (chat_uid TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE outbox (               -- texts not known to have reached the server, in order
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_uid TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,            -- waiting | failed | unknown
    reason TEXT,
    created_at TEXT NOT NULL
);
"""

_FTS = """
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2',
    prefix='1 2 3'                  -- as-you-type queries are short prefixes: index them
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
"""

# Version 1 -> 2: the app's drafts and unsent texts move in (they were in drafts.json).
# An unsent text keeps the local uid its placeholder has on screen (unique: importing
# the same text twice is a no-op) and the newest message its chat showed when it was
# sent (`after`, to tell whether it landed). States are those of `store.unsent.UNSENT_STATES`.
_V2 = """
ALTER TABLE outbox ADD COLUMN local_uid TEXT;
ALTER TABLE outbox ADD COLUMN after_uid TEXT;
UPDATE outbox SET local_uid = 'local-row' || id WHERE local_uid IS NULL;
UPDATE outbox SET state = 'unknown' WHERE state NOT IN ('waiting', 'sending', 'unknown', 'failed');
CREATE UNIQUE INDEX outbox_by_local_uid ON outbox (local_uid);
CREATE TABLE gaps (                 -- a chat's messages missing just below `above_uid` (a catch-up cut short)
    chat_uid TEXT NOT NULL,
    above_uid TEXT NOT NULL,        -- the oldest message kept above the hole
    PRIMARY KEY (chat_uid, above_uid)
);
"""

# Version 2 -> 3: each chat's activity (its newest message's time, else its own
# creation: the chat list's order) kept in its row and indexed, so the top of the
# list before the first frame is read from the index instead of looking up the
# newest message of every chat (a thousand chats: ~10 ms). `newest_at` follows the
# messages as they are stored (`_note_newest`, once per chat of a batch); `created_at`
# is written with the chat (existing rows are filled from their JSON as the store
# opens: `_fill_created_at`).
_V3 = """
ALTER TABLE chats ADD COLUMN created_at TEXT;
ALTER TABLE chats ADD COLUMN newest_at TEXT;
UPDATE chats SET newest_at = (SELECT max(m.created_at) FROM messages m WHERE m.chat_uid = chats.uid);
CREATE INDEX chats_by_activity ON chats (COALESCE(newest_at, created_at));
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
_TABLES = {"meta", "chats", "codes", "messages", "drafts", "outbox", "gaps"}

_MESSAGE_COLUMNS = "m.uid, m.chat_uid, m.created_at, m.direction, m.status, m.body, m.sender_type, m.sender_uid, m.sender_name, m.sender_phone"


class StoreUnusable(Exception):
    """The file cannot be used as a store (damaged, not SQLite, or from a newer plow-tui)."""


@functools.cache
def fts5_available() -> bool:
    """Whether this Python's SQLite was built with FTS5 (asked once per process).

    Asking builds a table in a database of its own (~2 ms), and every store
    opened asked again: the known account's before the first frame, then the
    texts kept before an account was known.
    """
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(body)")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def iso(moment: datetime | None) -> str:
    """The store's time format (sortable text); '' for no time."""
    if moment is None:
        return ""
    if moment.tzinfo is not timezone.utc:  # parsed times already are: skip the conversion
        moment = moment.astimezone(timezone.utc)
    # isoformat, not strftime: several times faster, and this runs for every message stored.
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def chat_to_json(chat: Chat) -> dict[str, Any]:
    """`chat` in the shape `Chat.from_json` reads (PROTOCOL §4), without verification codes."""
    participants: list[dict[str, Any]] = []
    for m in chat.members:
        participants.append(
            {
                "type": "member",
                "uid": m.uid,
                "status": m.status,
                "display_name": m.display_name,
                "role": m.role,
                "provider_key": m.provider_key,
                "provider_type": m.provider_type,
                "verified_at": iso(m.verified_at) or None,
            }
        )
    for a in chat.agents:
        line = a.line
        participants.append(
            {
                "type": "agent",
                "relationship": a.relationship,
                "line": None
                if line is None
                else {
                    "uid": line.uid,
                    "provider_key": line.provider_key,
                    "provider_type": line.provider_type,
                    "display_name": line.display_name,
                },
            }
        )
    return {
        "uid": chat.uid,
        "status": chat.status,
        "display_name": chat.display_name,
        "failure_reason": chat.failure_reason,
        "provider_key": chat.provider_key,
        "participants": participants,
        "created_at": iso(chat.created_at) or None,
    }


# Messages per INSERT: 990 parameters, under the 999 that SQLite before 3.32 allows.
ROWS_PER_INSERT = 99


@functools.lru_cache(maxsize=ROWS_PER_INSERT)
def _insert_messages_sql(rows: int) -> str:
    """One INSERT of `rows` messages; one already stored keeps its row and moves its delivery state on."""
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * rows)
    return (
        "INSERT INTO messages (uid, chat_uid, created_at, direction, status, body,"
        f" sender_type, sender_uid, sender_name, sender_phone) VALUES {values}"
        " ON CONFLICT (uid) DO UPDATE SET status = later_state(status, excluded.status)"
        " WHERE status IS NOT excluded.status"
    )


def _message_row(m: ChatMessage) -> tuple[Any, ...]:
    s = m.sender
    return (
        m.uid,
        m.chat_uid or "",
        iso(m.created_at),
        m.direction,
        m.status,
        m.body,
        s.type,
        s.uid,
        s.display_name,
        s.provider_key,
    )


def _message_from_row(row: tuple[Any, ...]) -> ChatMessage:
    uid, chat_uid, created_at, direction, status, body, s_type, s_uid, s_name, s_phone = row[:10]
    return ChatMessage(
        uid=uid,
        chat_uid=chat_uid,
        direction=direction,
        body=body,
        status=status,
        sender=Sender(type=s_type, uid=s_uid, display_name=s_name, provider_key=s_phone),
        created_at=parse_time(created_at),
    )


def _later_state_sql(old: str | None, new: str | None) -> str | None:
    return later_state(old, new)


class HistoryStore:
    """One account's local history; `open()` it, call from any thread, `close()` at the end.

    `path=None` keeps everything in memory (the sandbox: nothing outlives the run).
    """

    def __init__(self, connection: sqlite3.Connection, path: Path | None, *, fts: bool, notice: str | None) -> None:
        self._db = connection
        self.path = path
        self.search_mode = "fts5" if fts else "scan"
        self.notice = notice  # one line for the person when the file had to be replaced
        self._lock = threading.RLock()

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None, *, fts: bool | None = None) -> HistoryStore:
        """Open (or create) the store at `path`; never raises for a damaged or newer file.

        `fts=False` forces the plain scan (for tests and benchmarks).
        """
        use_fts = fts5_available() if fts is None else fts
        if path is None:
            return cls(_connect(None, use_fts), None, fts=use_fts, notice=None)
        _private_dir(path.parent)
        try:
            return cls(_connect(path, use_fts), path, fts=use_fts, notice=None)
        except (StoreUnusable, sqlite3.DatabaseError) as error:
            salvaged = _salvage_outbox(path)
            moved = _move_aside(path, "newer" if isinstance(error, StoreUnusable) and "newer" in str(error) else "damaged")
            store = cls(_connect(path, use_fts), path, fts=use_fts, notice=None)
            if salvaged:
                store._insert_outbox_rows(salvaged)
            kept = f" ({len(salvaged)} unsent message{'s' if len(salvaged) != 1 else ''} kept)" if salvaged else ""
            why = str(error) if isinstance(error, StoreUnusable) else "it could not be read"
            store.notice = f"The local message store was set aside ({why}): {moved}; starting a new one{kept}."
            log.warning("%s", store.notice)
            return store

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            if self.path is not None:
                self._db.execute("PRAGMA optimize")
            self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._db:
            yield self._db

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    # -- meta ----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str | None) -> None:
        with self._write() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- chats -----------------------------------------------------------------------

    def save_chats(self, chats: Iterable[Chat], *, complete: bool = False) -> None:
        """Store `chats`. `complete`: they are the server's whole list (`GET /v1/chats`).

        That list never holds failed chats (PROTOCOL §4), so a complete list
        removes the other chats it lacks (deleted elsewhere) but keeps failed ones,
        whose reason and `d`/`R` must survive a restart.
        """
        chats = list(chats)
        rows = [
            (c.uid, c.status, c.title, c.failure_reason, json.dumps(chat_to_json(c), ensure_ascii=False), iso(c.created_at) or None)
            for c in chats
        ]
        with self._write() as db:
            # An update keeps the row's `newest_at` (`_note_newest`'s); a new row takes it from what is stored.
            db.executemany(
                "INSERT INTO chats (uid, status, title, failure_reason, data, created_at, newest_at)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT max(m.created_at) FROM messages m WHERE m.chat_uid = ?1))"
                " ON CONFLICT (uid) DO UPDATE SET status = excluded.status, title = excluded.title,"
                " failure_reason = excluded.failure_reason, data = excluded.data, created_at = excluded.created_at",
                rows,
            )
            if complete:
                listed = {c.uid for c in chats}
                gone = [
                    uid
                    for (uid, status) in db.execute("SELECT uid, status FROM chats").fetchall()
                    if uid not in listed and status != "failed"
                ]
                for uid in gone:
                    self._delete_chat(db, uid)

    def save_chat(self, chat: Chat) -> None:
        self.save_chats([chat])

    def remove_chat(self, chat_uid: str) -> None:
        """Forget a deleted chat and everything of it (messages, codes, draft, outbox)."""
        with self._write() as db:
            self._delete_chat(db, chat_uid)

    @staticmethod
    def _delete_chat(db: sqlite3.Connection, chat_uid: str) -> None:
        for table, column in (
            ("chats", "uid"), ("codes", "chat_uid"), ("messages", "chat_uid"),
            ("drafts", "chat_uid"), ("outbox", "chat_uid"), ("gaps", "chat_uid"),
        ):  # fmt: skip
            db.execute(f"DELETE FROM {table} WHERE {column} = ?", (chat_uid,))

    def chats(self) -> list[Chat]:
        """Every stored chat (failed ones too), in no particular order."""
        found = []
        for (data,) in self._read("SELECT data FROM chats"):
            try:
                found.append(Chat.from_json(json.loads(data)))
            except ValueError:
                continue
        return found

    # -- codes -----------------------------------------------------------------------

    def save_codes(self, chat_uid: str, members: Iterable[Member]) -> None:
        """Keep the VERIFY codes of `members` (from create or resend answers)."""
        rows = [
            (chat_uid, m.uid, m.verification_code, iso(m.verification_code_expires_at) or None)
            for m in members
            if m.verification_code
        ]
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO codes VALUES (?, ?, ?, ?)", rows)

    def codes(self) -> dict[str, dict[str, Member]]:
        """chat uid -> member uid -> a Member carrying only its code and expiry."""
        found: dict[str, dict[str, Member]] = {}
        for chat_uid, member_uid, code, expires in self._read("SELECT chat_uid, member_uid, code, expires_at FROM codes"):
            found.setdefault(chat_uid, {})[member_uid] = Member(
                uid=member_uid, verification_code=code, verification_code_expires_at=parse_time(expires)
            )
        return found

    # -- messages --------------------------------------------------------------------

    def add_messages(self, messages: Iterable[ChatMessage]) -> None:
        """Store a batch of messages (new ones added, known ones' delivery state moved on).

        One transaction for the whole batch: a 1,000-message burst is one write.
        """
        rows = [_message_row(m) for m in messages if m.uid]
        if not rows:
            return
        # Many rows per statement, not `executemany`: Python's sqlite3 lets go of the GIL
        # around each step and reset, so a row at a time took the GIL back from the UI
        # thread twice per message (each time forcing a switch while the UI thread runs).
        with self._write() as db:
            for start in range(0, len(rows), ROWS_PER_INSERT):
                chunk = rows[start : start + ROWS_PER_INSERT]
                db.execute(_insert_messages_sql(len(chunk)), [value for row in chunk for value in row])
            _note_newest(db, rows)

    def set_status(self, message_uid: str, status: str | None) -> None:
        with self._write() as db:
            db.execute("UPDATE messages SET status = later_state(status, ?) WHERE uid = ?", (status, message_uid))

    def messages(self, chat_uid: str, *, limit: int = 50, before: str | None = None) -> list[ChatMessage]:
        """Up to `limit` messages of a chat, newest first; `before`: older than that uid (a page up)."""
        if before is None:
            rows = self._read(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages m WHERE m.chat_uid = ?"
                " ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
                (chat_uid, limit),
            )
        else:
            rows = self._read(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages m, messages b WHERE b.uid = ? AND m.chat_uid = ?"
                " AND (m.created_at < b.created_at OR (m.created_at = b.created_at AND m.id < b.id))"
                " ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
                (before, chat_uid, limit),
            )
        return [_message_from_row(row) for row in rows]

    def page(self, chat_uid: str, *, limit: int = 50, before: str | None = None) -> tuple[list[ChatMessage], bool]:
        """`messages()`, but stopping at a gap: (newest first, whether a gap is below the last one).

        Below a gap the store's messages are not the next older ones (a catch-up
        was cut short): the caller shows the hole and fills it from the server.
        """
        found = self.messages(chat_uid, limit=limit, before=before)
        gaps = self.gaps(chat_uid)
        if gaps:
            for n, message in enumerate(found):
                if message.uid in gaps:
                    return found[: n + 1], True
        return found, False

    def gaps(self, chat_uid: str) -> set[str]:
        """The messages of a chat with a hole just below them."""
        return {uid for (uid,) in self._read("SELECT above_uid FROM gaps WHERE chat_uid = ?", (chat_uid,))}

    def add_gap(self, chat_uid: str, above_uid: str) -> None:
        """Messages are missing just below `above_uid`, down to the next older stored one."""
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO gaps VALUES (?, ?)", (chat_uid, above_uid))

    def fill_gap(self, chat_uid: str, above_uid: str, older: Sequence[ChatMessage], closed: bool) -> None:
        """Messages from the hole below `above_uid` (newest first) are in; `closed`: the hole is gone.

        Otherwise the hole is now below the oldest of them. One transaction.
        """
        rows = [_message_row(m) for m in older if m.uid]
        with self._write() as db:
            db.executemany(
                "INSERT INTO messages (uid, chat_uid, created_at, direction, status, body,"
                " sender_type, sender_uid, sender_name, sender_phone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (uid) DO NOTHING",
                rows,
            )
            _note_newest(db, rows)
            db.execute("DELETE FROM gaps WHERE chat_uid = ? AND above_uid = ?", (chat_uid, above_uid))
            if not closed and rows:
                db.execute("INSERT OR IGNORE INTO gaps VALUES (?, ?)", (chat_uid, rows[-1][0]))
            elif not closed:
                db.execute("INSERT OR IGNORE INTO gaps VALUES (?, ?)", (chat_uid, above_uid))

    def known(self, uids: Iterable[str]) -> set[str]:
        """Which of `uids` the store holds (where a gap being filled meets what is stored)."""
        uids = list(uids)
        if not uids:
            return set()
        marks = ",".join("?" * len(uids))
        return {uid for (uid,) in self._read(f"SELECT uid FROM messages WHERE uid IN ({marks})", uids)}

    def messages_from(self, chat_uid: str, uid: str) -> list[ChatMessage]:
        """Message `uid` and every newer one of its chat, newest first (to open a chat at a search hit)."""
        rows = self._read(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages m, messages b WHERE b.uid = ? AND m.chat_uid = ?"
            " AND (m.created_at > b.created_at OR (m.created_at = b.created_at AND m.id >= b.id))"
            " ORDER BY m.created_at DESC, m.id DESC",
            (uid, chat_uid),
        )
        return [_message_from_row(row) for row in rows]

    def newest(self) -> dict[str, ChatMessage]:
        """The newest stored message of every chat that has one: previews and catch-up anchors."""
        rows = self._read(
            f"SELECT {_MESSAGE_COLUMNS} FROM chats c JOIN messages m ON m.id = ("
            " SELECT id FROM messages WHERE chat_uid = c.uid ORDER BY created_at DESC, id DESC LIMIT 1)"
        )
        return {row[1]: _message_from_row(row) for row in rows}

    def recent_chats(self, limit: int) -> list[tuple[Chat, ChatMessage | None]]:
        """The `limit` chats of the newest activity, each with its newest message (None: it has none).

        Activity is the newest message, else the chat's creation, as the chat
        list sorts; the top of the list, read without decoding every chat.
        """
        # The top `limit` come from the activity index; only they are joined with
        # their newest message.
        newest = "SELECT id FROM messages WHERE chat_uid = c.uid ORDER BY created_at DESC, id DESC LIMIT 1"
        rows = self._read(
            f"SELECT c.data, {_MESSAGE_COLUMNS} FROM ("
            " SELECT rowid AS chat_row, COALESCE(newest_at, created_at) AS activity FROM chats"
            " ORDER BY COALESCE(newest_at, created_at) DESC LIMIT ?"
            f") top JOIN chats c ON c.rowid = top.chat_row LEFT JOIN messages m ON m.id = ({newest})"
            " ORDER BY top.activity DESC",  # SQLite sorts NULL lowest: chats without activity come last
            (limit,),
        )
        found = []
        for data, *message in rows:
            try:
                chat = Chat.from_json(json.loads(data))
            except ValueError:
                continue
            found.append((chat, _message_from_row(tuple(message)) if message[0] is not None else None))
        return found

    def message_count(self) -> int:
        return self._read("SELECT count(*) FROM messages")[0][0]

    # -- search ------------------------------------------------------------------------

    def search(self, query: str, *, chat_uid: str | None = None, limit: int = 50) -> list[SearchHit]:
        """Messages whose words start with every word of `query`, newest first."""
        # Loaded with the first search, not with the store: a store opens before the first frame.
        from plow_tui.store.search import SearchHit, fts_query, like_pattern, query_words, scan_words, snippet

        words = query_words(query)
        if not words:
            return []
        where = ""
        params: list[Any] = []
        if self.search_mode == "fts5":
            source = "messages_fts f JOIN messages m ON m.id = f.rowid"
            where = "messages_fts MATCH ?"
            order = "f.rowid DESC"  # FTS5 walks its matches newest first and stops at the limit
            params.append(fts_query(words))
        else:
            source = "messages m"
            order = "m.id DESC"
            where = " AND ".join("m.body LIKE ? ESCAPE '\\'" for _ in words)
            params.extend(like_pattern(w) for w in scan_words(query))
        if chat_uid is not None:
            where += " AND m.chat_uid = ?"
            params.append(chat_uid)
        params.append(limit)
        rows = self._read(
            "SELECT m.uid, m.chat_uid, m.created_at, m.direction, m.body, m.sender_name, m.sender_phone, c.title"
            f" FROM {source} LEFT JOIN chats c ON c.uid = m.chat_uid WHERE {where} ORDER BY {order} LIMIT ?",
            params,
        )
        # Straight from the rows, without a Message per hit: this runs per keystroke,
        # and building 50 Messages cost as much as the query itself (issue #16).
        hits = []
        for uid, chat_uid, created_at, direction, body, s_name, s_phone, title in rows:
            excerpt, spans = snippet(body, words)
            hits.append(
                SearchHit(
                    chat_uid=chat_uid or "",
                    chat_title=title or chat_uid or "",
                    message_uid=uid,
                    created_at=parse_time(created_at),
                    author="you" if direction == "outbound" else (s_name or s_phone or "them"),
                    body=body,
                    snippet=excerpt,
                    spans=tuple(spans),
                )
            )
        return hits

    def match_uids(self, chat_uid: str, query: str) -> list[str]:
        """The uids of a chat's messages matching `query`, oldest first (for n/N in a conversation)."""
        from plow_tui.store.search import fts_query, like_pattern, query_words, scan_words

        words = query_words(query)
        if not words:
            return []
        if self.search_mode == "fts5":
            rows = self._read(
                "SELECT m.uid FROM messages_fts f JOIN messages m ON m.id = f.rowid"
                " WHERE messages_fts MATCH ? AND m.chat_uid = ? ORDER BY m.created_at, m.id",
                (fts_query(words), chat_uid),
            )
        else:
            rows = self._read(
                "SELECT m.uid FROM messages m WHERE m.chat_uid = ? AND "
                + " AND ".join("m.body LIKE ? ESCAPE '\\'" for _ in words)
                + " ORDER BY m.created_at, m.id",
                (chat_uid, *(like_pattern(w) for w in scan_words(query))),
            )
        return [uid for (uid,) in rows]

    # -- drafts and unsent texts -----------------------------------------------------------

    def drafts(self) -> dict[str, str]:
        """Chat uid -> the editor's draft."""
        return dict(self._read("SELECT chat_uid, body FROM drafts"))

    def save_drafts(self, drafts: Mapping[str, str]) -> None:
        """Replace every draft with `drafts` (blank ones dropped)."""
        with self._write() as db:
            db.execute("DELETE FROM drafts")
            db.executemany("INSERT INTO drafts VALUES (?, ?)", [(u, t) for u, t in drafts.items() if t.strip()])

    def unsent(self) -> dict[str, list[Unsent]]:
        """Chat uid -> its texts not known to be on the server, oldest first."""
        found: dict[str, list[Unsent]] = {}
        rows = self._read("SELECT chat_uid, local_uid, body, created_at, state, after_uid FROM outbox ORDER BY id")
        for chat_uid, local_uid, body, at, state, after in rows:
            when = parse_time(at) or datetime.now(timezone.utc)
            found.setdefault(chat_uid, []).append(Unsent(local_uid, body, when, state, after))
        return found

    def move_to_outbox(self, chat_uid: str, texts: Sequence[Unsent]) -> None:
        """Texts leave the editor: the chat's draft goes and `texts` join its unsent ones, in one transaction.

        The app waits for this before the request goes out, so a process killed
        at any moment leaves a text in the draft or in the outbox, never in
        neither and never in both.
        """
        with self._write() as db:
            db.execute("DELETE FROM drafts WHERE chat_uid = ?", (chat_uid,))
            self._insert_unsent(db, chat_uid, texts)

    def save_kept(self, drafts: Mapping[str, str], unsent: Mapping[str, Sequence[Unsent]]) -> None:
        """Every draft, and the unsent texts of the chats in `unsent` (others untouched): one transaction."""
        with self._write() as db:
            db.execute("DELETE FROM drafts")
            db.executemany("INSERT INTO drafts VALUES (?, ?)", [(u, t) for u, t in drafts.items() if t.strip()])
            for chat_uid, texts in unsent.items():
                self._save_unsent(db, chat_uid, texts)

    def save_unsent(self, chat_uid: str, texts: Sequence[Unsent]) -> None:
        """Make the chat's unsent texts `texts` (states updated, the ones not in it gone); order is kept."""
        with self._write() as db:
            self._save_unsent(db, chat_uid, texts)

    def _save_unsent(self, db: sqlite3.Connection, chat_uid: str, texts: Sequence[Unsent]) -> None:
        keep = [t.uid for t in texts]
        marks = ",".join("?" * len(keep))
        db.execute(f"DELETE FROM outbox WHERE chat_uid = ? AND local_uid NOT IN ({marks})", (chat_uid, *keep))
        db.executemany(
            "UPDATE outbox SET state = ?, after_uid = ? WHERE local_uid = ?",
            [(_state(t.state), t.after, t.uid) for t in texts],
        )
        self._insert_unsent(db, chat_uid, texts)  # any not there yet (a text sent without the editor)

    def import_unsent(self, drafts: Mapping[str, str], unsent: Mapping[str, Sequence[Unsent]]) -> int:
        """Take drafts and unsent texts from elsewhere (drafts.json, a store of no account); how many texts were new.

        Safe to repeat: a text already here (same local uid) is not added again,
        and a draft never replaces one this store has.
        """
        with self._write() as db:
            db.executemany(
                "INSERT OR IGNORE INTO drafts VALUES (?, ?)", [(u, t) for u, t in drafts.items() if t.strip()]
            )
            before = db.total_changes
            for chat_uid, texts in unsent.items():
                self._insert_unsent(db, chat_uid, texts)
            return db.total_changes - before

    @staticmethod
    def _insert_unsent(db: sqlite3.Connection, chat_uid: str, texts: Sequence[Unsent]) -> None:
        db.executemany(
            "INSERT OR IGNORE INTO outbox (chat_uid, body, state, reason, created_at, local_uid, after_uid)"
            " VALUES (?, ?, ?, NULL, ?, ?, ?)",
            [(chat_uid, t.body, _state(t.state), iso(t.at), t.uid, t.after) for t in texts if t.body.strip()],
        )

    def _insert_outbox_rows(self, rows: list[tuple[Any, ...]]) -> None:
        with self._write() as db:
            db.executemany(
                "INSERT OR IGNORE INTO outbox (chat_uid, body, state, reason, created_at, local_uid, after_uid)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(c, b, _state(s), r, t, u or f"local-salvaged-{n}", a) for n, (c, b, s, r, t, u, a) in enumerate(rows)],
            )


def _state(state: str) -> str:
    # Anything else (a hand-edited or older file) may have landed: check it, never resend blindly.
    return state if state in UNSENT_STATES else "unknown"


# -- files ---------------------------------------------------------------------------------


def _private_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(directory, 0o700)


def _connect(path: Path | None, fts: bool) -> sqlite3.Connection:
    if path is not None:
        # Created 0600 before SQLite opens it; SQLite gives its -wal and -shm
        # files the same mode as the database.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
    db = sqlite3.connect(":memory:" if path is None else str(path), check_same_thread=False, isolation_level="DEFERRED")
    try:
        db.create_function("later_state", 2, _later_state_sql, deterministic=True)
        db.execute("PRAGMA busy_timeout = 5000")
        # Deleted text (a deleted chat, `logout --forget` racing a write) is overwritten, not left in free pages.
        db.execute("PRAGMA secure_delete = ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreUnusable(f"it is from a newer plow-tui, schema version {version}")
        if path is not None:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        with db:
            for step in range(version, SCHEMA_VERSION):
                db.executescript("BEGIN;" + MIGRATIONS[step] + f"PRAGMA user_version = {step + 1}; COMMIT;")
                if step == 2:
                    _fill_created_at(db)
        has_fts = bool(db.execute("SELECT 1 FROM sqlite_master WHERE name = 'messages_fts'").fetchone())
        if fts and not has_fts:
            # Built where FTS5 was missing, or new: index what is there.
            db.executescript("BEGIN;" + _FTS + "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild'); COMMIT;")
        elif not fts and has_fts:
            db.executescript(
                "BEGIN; DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_delete;"
                " DROP TRIGGER messages_fts_update; DROP TABLE messages_fts; COMMIT;"
            )
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not _TABLES <= tables:
            raise StoreUnusable("tables are missing: " + ", ".join(sorted(_TABLES - tables)))
    except BaseException:
        db.close()
        raise
    return db


def _note_newest(db: sqlite3.Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """Move each chat's `newest_at` (its place in the chat list) up to the newest of the message `rows` just stored.

    Once per chat of a batch: a trigger per message made a 1,000-message burst's write ~20% slower.
    """
    newest: dict[str, str] = {}
    for _uid, chat_uid, created, *_ in rows:
        if created > newest.get(chat_uid, ""):
            newest[chat_uid] = created
    db.executemany(
        "UPDATE chats SET newest_at = ?1 WHERE uid = ?2 AND (newest_at IS NULL OR newest_at < ?1)",
        [(created, chat_uid) for chat_uid, created in newest.items()],
    )


def _fill_created_at(db: sqlite3.Connection) -> None:
    """Version 3's `chats.created_at` for the chats stored before it, from their JSON (in Python: SQLite may lack JSON)."""
    rows = []
    for uid, data in db.execute("SELECT uid, data FROM chats").fetchall():
        try:
            created = json.loads(data).get("created_at")
        except (ValueError, AttributeError):
            continue
        rows.append((created if isinstance(created, str) else None, uid))
    with db:
        db.executemany("UPDATE chats SET created_at = ? WHERE uid = ?", rows)


def _salvage_outbox(path: Path) -> list[tuple[Any, ...]]:
    """The unsent texts of an unusable store, when they can still be read (never raises)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        try:
            return db.execute(
                "SELECT chat_uid, body, state, reason, created_at, local_uid, after_uid FROM outbox ORDER BY id"
            ).fetchall()
        except sqlite3.OperationalError:  # a version 1 file: no local uids yet
            rows = db.execute("SELECT chat_uid, body, state, reason, created_at FROM outbox ORDER BY id").fetchall()
            return [(*row, None, None) for row in rows]
    except sqlite3.Error:
        return []
    finally:
        db.close()


def _move_aside(path: Path, why: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.replace(f"{path}{suffix}", f"{target}{suffix}")
    return target
