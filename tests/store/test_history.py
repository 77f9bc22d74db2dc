"""The local store, without Textual: schema, write rules, search, damage, files."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plow_tui.client.models import Agent, Chat, Line, Member, ChatMessage, Sender
from plow_tui.record import replace
from plow_tui.store.history import SCHEMA_VERSION, HistoryStore, fts5_available
from plow_tui.store.location import HistoryLocation, account_of
from plow_tui.store.unsent import Unsent

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
MODES = ["scan"] + (["fts5"] if fts5_available() else [])


def chat(uid: str = "cht_1", status: str = "active", **kw: object) -> Chat:
    owner = Member(uid="cp_o", status="active", display_name="Ada", role="owner", provider_key="+15551230002")
    sarah = Member(uid="cp_s", status="pending_verification", display_name="Sarah")
    agent = Agent(line=Line(uid="ln_1", provider_key="+15550000001"), relationship="self")
    return Chat(uid=uid, status=status, members=(owner, sarah), agents=(agent,), created_at=T0, **kw)  # type: ignore[arg-type]


def msg(n: int, body: str = "", chat_uid: str = "cht_1", status: str | None = None, outbound: bool = False) -> ChatMessage:
    return ChatMessage(
        uid=f"msg_{n:06d}",
        chat_uid=chat_uid,
        direction="outbound" if outbound else "inbound",
        body=body or f"message number {n}",
        status=status or ("sent" if outbound else "received"),
        sender=Sender(type="agent") if outbound else Sender(type="member", uid="cp_s", display_name="Sarah", provider_key="+1555"),
        created_at=T0 + timedelta(seconds=n),
    )


@pytest.fixture(params=MODES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> HistoryStore:
    s = HistoryStore.open(tmp_path / "h" / "a.sqlite3", fts=request.param == "fts5")
    yield s
    s.close()


def test_the_file_is_private_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "a.sqlite3"
    with HistoryStore.open(path) as s:
        s.add_messages([msg(1)])
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        for extra in path.parent.glob("a.sqlite3-*"):  # WAL and shared memory
            assert stat.S_IMODE(extra.stat().st_mode) == 0o600, extra
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_chats_round_trip_and_failed_ones_outlive_the_servers_list(store: HistoryStore) -> None:
    failed = chat("cht_f", "failed", failure_reason="carrier rejected")
    store.save_chats([chat("cht_1"), chat("cht_2"), failed])
    store.save_chats([chat("cht_1")], complete=True)  # the server lists no failed chats
    kept = {c.uid: c for c in store.chats()}
    assert sorted(kept) == ["cht_1", "cht_f"]
    assert kept["cht_f"].failure_reason == "carrier rejected"
    assert kept["cht_1"].number == "+15550000001" and kept["cht_1"].title == "Ada, Sarah"
    assert account_of(kept.values()) == "15551230002"


def test_codes_survive_and_chat_updates_do_not_wipe_them(store: HistoryStore) -> None:
    store.save_chat(chat())
    code = Member(uid="cp_s", verification_code="VERIFY-AB12CD", verification_code_expires_at=T0)
    store.save_codes("cht_1", [code, Member(uid="cp_o")])
    store.save_chats([chat()], complete=True)
    assert store.codes() == {"cht_1": {"cp_s": Member(uid="cp_s", verification_code="VERIFY-AB12CD", verification_code_expires_at=T0)}}


def test_messages_page_newest_first_and_delivery_never_goes_back(store: HistoryStore) -> None:
    store.save_chat(chat())
    store.add_messages([msg(n) for n in range(1, 121)])
    store.add_messages([msg(200, outbound=True, status="delivered")])
    store.add_messages([msg(200, outbound=True, status="sent")])  # a late echo
    page = store.messages("cht_1", limit=50)
    assert [m.uid for m in page[:2]] == ["msg_000200", "msg_000120"]
    assert page[0].status == "delivered" and page[0].is_outbound
    older = store.messages("cht_1", limit=50, before=page[-1].uid)
    assert older[0].uid == "msg_000071" and len(older) == 50
    assert store.newest()["cht_1"].uid == "msg_000200"
    assert store.message_count() == 121
    store.set_status("msg_000200", "failed")
    assert store.messages("cht_1", limit=1)[0].status == "failed"


def test_search_finds_word_prefixes_ignoring_case_and_accents(store: HistoryStore) -> None:
    store.save_chats([chat("cht_1"), chat("cht_2", display_name="Work")])
    store.add_messages(
        [
            msg(1, "Running late, café at noon"),
            msg(2, "see you at the CAFE"),
            msg(3, "nothing here", chat_uid="cht_2"),
            msg(4, "café in Work too", chat_uid="cht_2"),
            msg(5, "100% sure_thing"),
        ]
    )
    def uids(query: str) -> list[str]:
        return [h.message_uid for h in store.search(query)]

    if store.search_mode == "fts5":  # case and accents folded
        assert uids("cafe") == uids("CAFÉ") == ["msg_000004", "msg_000002", "msg_000001"]
    else:  # the scan folds ASCII case only
        assert uids("café") == ["msg_000004", "msg_000001"] and uids("cafe") == ["msg_000002"]
    hits = store.search("café")
    assert hits[0].chat_title == "Work"
    first = hits[-1]
    assert [first.snippet[a:b] for a, b in first.spans] == ["café"]
    assert [h.message_uid for h in store.search("caf", chat_uid="cht_1")] == ["msg_000002", "msg_000001"]
    assert [h.message_uid for h in store.search("run caf")] == ["msg_000001"]
    assert store.search("%") == [] and store.search('"') == []
    assert [h.message_uid for h in store.search("100")] == ["msg_000005"]
    assert store.match_uids("cht_1", "caf") == ["msg_000001", "msg_000002"]


def test_search_quotes_cannot_break_the_query(store: HistoryStore) -> None:
    store.add_messages([msg(1, 'he said "NEAR" AND OR')])
    assert len(store.search('"near" AND')) == 1
    assert store.search("NOT*") == []


def test_deleting_a_chat_takes_its_messages_out_of_the_index(store: HistoryStore) -> None:
    store.save_chats([chat("cht_1"), chat("cht_2")])
    store.add_messages([msg(1, "canary one"), msg(2, "canary two", chat_uid="cht_2")])
    store.remove_chat("cht_1")
    assert [h.chat_uid for h in store.search("canary")] == ["cht_2"]


def unsent(uid: str, body: str, state: str = "sending", after: str | None = None) -> Unsent:
    return Unsent(uid, body, T0, state, after)


def test_drafts_and_unsent_texts_keep_order_and_a_send_moves_the_draft_in_one_step(store: HistoryStore) -> None:
    store.save_drafts({"cht_1": "first", "cht_2": "   ", "cht_3": "elsewhere"})
    assert store.drafts() == {"cht_1": "first", "cht_3": "elsewhere"}
    store.move_to_outbox("cht_1", [unsent("local-1", "first", after="msg_1")])
    assert store.drafts() == {"cht_3": "elsewhere"}  # the draft went with the same write
    store.move_to_outbox("cht_1", [unsent("local-2", "second"), unsent("local-3", "third")])
    assert [t.uid for t in store.unsent()["cht_1"]] == ["local-1", "local-2", "local-3"]
    assert store.unsent()["cht_1"][0] == unsent("local-1", "first", after="msg_1")
    # The pane's list: one landed (gone), one refused; the order stays that of sending.
    store.save_unsent("cht_1", [unsent("local-1", "first", "failed", "msg_1"), unsent("local-3", "third", "unknown")])
    assert [(t.uid, t.state) for t in store.unsent()["cht_1"]] == [("local-1", "failed"), ("local-3", "unknown")]
    store.save_unsent("cht_1", [])
    assert store.unsent() == {}
    store.move_to_outbox("cht_9", [unsent("local-9", "in a chat not opened")])
    store.save_kept({"cht_1": "again"}, {"cht_1": [unsent("local-4", "fourth")]})  # one transaction for all
    assert store.drafts() == {"cht_1": "again"}
    assert {uid: [t.uid for t in texts] for uid, texts in store.unsent().items()} == {"cht_9": ["local-9"], "cht_1": ["local-4"]}


def test_importing_the_same_texts_twice_adds_nothing_and_keeps_newer_drafts(store: HistoryStore) -> None:
    store.save_drafts({"cht_1": "typed here"})
    texts = {"cht_1": [unsent("local-1", "one"), unsent("local-2", "two", "odd-state")]}
    assert store.import_unsent({"cht_1": "older draft", "cht_2": "kept"}, texts) == 2
    assert store.import_unsent({"cht_1": "older draft", "cht_2": "kept"}, texts) == 0
    assert store.drafts() == {"cht_1": "typed here", "cht_2": "kept"}
    assert [(t.uid, t.state) for t in store.unsent()["cht_1"]] == [("local-1", "sending"), ("local-2", "unknown")]


def test_a_version_1_store_gains_the_unsent_columns(tmp_path: Path) -> None:
    from plow_tui.store.history import MIGRATIONS

    path = tmp_path / "v1.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("BEGIN;" + MIGRATIONS[0] + "PRAGMA user_version = 1; COMMIT;")
    db.execute("INSERT INTO outbox (chat_uid, body, state, reason, created_at) VALUES ('cht_1', 'old', 'waiting', NULL, '')")
    db.commit()
    db.close()
    with HistoryStore.open(path) as s:
        (text,) = s.unsent()["cht_1"]
        assert (text.uid, text.body, text.state) == ("local-row1", "old", "waiting")
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3


def test_a_damaged_store_is_set_aside_with_its_unsent_texts_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    with HistoryStore.open(path) as s:
        s.move_to_outbox("cht_1", [unsent("local-1", "do not lose me", "failed", "msg_1")])
        s.add_messages([msg(1)])
    db = sqlite3.connect(path)
    db.execute("DROP TABLE messages")  # damaged as far as this version can tell
    db.commit()
    db.close()
    with HistoryStore.open(path) as s:
        assert s.notice is not None and "set aside" in s.notice and "1 unsent message kept" in s.notice
        assert s.unsent() == {"cht_1": [unsent("local-1", "do not lose me", "failed", "msg_1")]}
    assert list(tmp_path.glob("a.sqlite3.damaged-*"))


def test_garbage_is_set_aside_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    with HistoryStore.open(path) as s:
        assert s.notice is not None and "could not be read" in s.notice
        s.add_messages([msg(1)])
        assert s.message_count() == 1


def test_a_newer_store_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    with HistoryStore.open(path) as s:
        s.move_to_outbox("cht_1", [unsent("local-1", "from the future")])
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with HistoryStore.open(path) as s:
        assert s.notice is not None and "newer plow-tui" in s.notice
        assert [t.body for t in s.unsent()["cht_1"]] == ["from the future"]
    assert list(tmp_path.glob("a.sqlite3.newer-*"))


@pytest.mark.skipif(not fts5_available(), reason="this Python's SQLite has no FTS5")
def test_a_scan_store_gains_the_index_when_fts5_is_there(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    with HistoryStore.open(path, fts=False) as s:
        s.add_messages([msg(1, "indexed later")])
        assert s.search_mode == "scan"
    with HistoryStore.open(path) as s:
        assert s.search_mode == "fts5"
        assert [h.message_uid for h in s.search("indexed")] == ["msg_000001"]


def test_memory_store_writes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with HistoryStore.open(None) as s:
        s.add_messages([msg(1)])
    assert list(tmp_path.iterdir()) == []


def test_location_maps_tokens_to_accounts_and_forgets(tmp_path: Path) -> None:
    where = HistoryLocation("http://127.0.0.1:8765", root=tmp_path)
    assert where.account_for("tok-1") is None
    path = where.remember("tok-1", "15551230002")
    with HistoryStore.open(path) as s:
        s.add_messages([msg(1, "canary")])
    assert where.account_for("tok-1") == "15551230002"
    assert where.account_for("tok-2") is None  # another token: not known yet
    assert where.account_for(None) == "15551230002"  # signed out: the last one used
    assert "tok-1" not in (where.directory / "accounts.json").read_text()
    assert stat.S_IMODE(where.directory.stat().st_mode) == 0o700
    removed = where.forget("15551230002")
    assert path in removed and not any(where.directory.glob("*.sqlite3*"))
    assert where.account_for(None) is None and where.account_for("tok-1") is None
    assert os.listdir(where.directory) == ["accounts.json"]


def test_a_sandbox_history_lives_in_memory(tmp_path: Path) -> None:
    from plow_tui.store.location import Histories

    histories = Histories("http://127.0.0.1:1234", root=tmp_path, memory=True)
    store = histories.open_known("tok")
    assert store is not None and store.path is None
    store.add_messages([msg(1)])
    store.close()
    assert list(tmp_path.iterdir()) == []


def test_the_app_opens_the_store_of_the_account_its_token_belongs_to(tmp_path: Path) -> None:
    from plow_tui.store.location import Histories

    histories = Histories("http://127.0.0.1:1234", root=tmp_path)
    assert histories.open_known("tok") is None  # never seen: wait for the chat list
    assert histories.open_for("tok", [Chat(uid="c")]) is None  # no owner shown
    first = histories.open_for("tok", [chat()])
    assert first is not None and first.path == histories.location.path("15551230002")
    first.close()
    again = histories.open_known("tok")
    assert again is not None and again.path == first.path
    again.close()



@given(
    text=st.text(alphabet="ab_ 1-Z.\t", max_size=16),
    word=st.text(alphabet="ab1z", min_size=1, max_size=3),
)
def test_one_word_spans_are_the_word_starts_the_general_rule_finds(text: str, word: str) -> None:
    # One-word ASCII queries take a shortcut (str.find, for speed per keystroke);
    # it must mark exactly what the general rule (the regular expression) marks.
    from plow_tui.store.search import _ascii_starts, _ascii_word_starts

    assert _ascii_word_starts(text.lower(), word) == [m.span() for m in _ascii_starts((word,)).finditer(text)]


def test_a_page_stops_at_a_gap_and_filling_it_moves_or_closes_it(store: HistoryStore) -> None:
    store.add_messages([msg(n) for n in (1, 2, 3, 50, 51, 52)])  # 4..49 were skipped by a cut catch-up
    store.add_gap("cht_1", "msg_000050")
    newest, gap = store.page("cht_1", limit=10)
    assert [m.uid for m in newest] == ["msg_000052", "msg_000051", "msg_000050"] and gap
    assert store.page("cht_1", limit=2) == (store.messages("cht_1", limit=2), False)  # the gap is further down
    # One page from the server: still not down to what is stored, the gap moves below it.
    store.fill_gap("cht_1", "msg_000050", [msg(n) for n in range(49, 29, -1)], closed=False)
    assert store.gaps("cht_1") == {"msg_000030"}
    assert [m.uid for m in store.page("cht_1", limit=50, before="msg_000050")[0]][-1] == "msg_000030"
    assert store.known(["msg_000030", "msg_000003", "msg_000020"]) == {"msg_000030", "msg_000003"}
    store.fill_gap("cht_1", "msg_000030", [msg(n) for n in range(29, 3, -1)], closed=True)
    assert store.gaps("cht_1") == set()
    older, gap = store.page("cht_1", limit=100)
    assert [m.uid for m in older] == [f"msg_{n:06d}" for n in range(52, 0, -1)] and not gap
    store.add_gap("cht_1", "msg_000010")
    store.remove_chat("cht_1")
    assert store.gaps("cht_1") == set()


def test_recent_chats_are_the_top_of_the_chat_list_with_their_newest_message(store: HistoryStore) -> None:
    # Activity: the newest message, else the chat's creation (as the list sorts).
    store.save_chats([chat("cht_old"), chat("cht_new"), replace(chat("cht_quiet"), created_at=T0 + timedelta(seconds=25)), chat("cht_none")])
    store.add_messages([msg(1, chat_uid="cht_old"), msg(10, chat_uid="cht_old"), msg(30, chat_uid="cht_new"), msg(20, chat_uid="cht_new")])
    top = store.recent_chats(3)
    assert [(c.uid, m.uid if m else None) for c, m in top] == [
        ("cht_new", "msg_000030"), ("cht_quiet", None), ("cht_old", "msg_000010"),
    ]
    assert top[0][0] == chat("cht_new") and top[0][1] == msg(30, chat_uid="cht_new")
    assert len(store.recent_chats(10)) == 4
    # The chats saved again (a reload) keep their activity; a message newer than all moves its chat up.
    store.save_chats([chat("cht_old"), chat("cht_new"), chat("cht_none")])
    store.add_messages([msg(40, chat_uid="cht_none")])
    assert [c.uid for c, _ in store.recent_chats(4)] == ["cht_none", "cht_new", "cht_quiet", "cht_old"]


def test_recent_chats_read_the_top_from_the_activity_index(store: HistoryStore) -> None:
    # Before the first frame: looking up every chat's newest message to sort them took ~10 ms for a thousand.
    store.save_chats([chat("cht_1")])
    queries: list[str] = []
    store._db.set_trace_callback(queries.append)
    store.recent_chats(60)
    store._db.set_trace_callback(None)
    (query,) = [q for q in queries if q.lstrip().upper().startswith("SELECT")]
    plan = " | ".join(row[3] for row in store._db.execute("EXPLAIN QUERY PLAN " + query))
    assert "SCAN chats USING INDEX chats_by_activity" in plan, plan


def test_recent_chats_of_a_version_2_store(tmp_path: Path) -> None:
    # Version 3 keeps each chat's activity in its row: a store from before gains it from what it holds.
    from plow_tui.store.history import MIGRATIONS

    path = tmp_path / "v2.sqlite3"
    with HistoryStore.open(path) as s:
        s.save_chats([chat("cht_old"), chat("cht_new"), replace(chat("cht_quiet"), created_at=T0 + timedelta(seconds=25))])
        s.add_messages([msg(10, chat_uid="cht_old"), msg(30, chat_uid="cht_new")])
        rows = s._read("SELECT uid, status, title, failure_reason, data FROM chats")
        messages = s._read("SELECT * FROM messages")
    path.unlink()
    db = sqlite3.connect(path)
    db.executescript("BEGIN;" + MIGRATIONS[0] + MIGRATIONS[1] + "PRAGMA user_version = 2; COMMIT;")
    db.executemany("INSERT INTO chats VALUES (?, ?, ?, ?, ?)", rows)
    db.executemany(f"INSERT INTO messages VALUES ({', '.join('?' * len(messages[0]))})", messages)
    db.commit()
    db.close()
    with HistoryStore.open(path) as s:
        assert [(c.uid, m.uid if m else None) for c, m in s.recent_chats(3)] == [
            ("cht_new", "msg_000030"), ("cht_quiet", None), ("cht_old", "msg_000010"),
        ]


class _CountingInserts:
    """A store's connection that counts the INSERTs into messages it runs (executemany: one per row)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.inserts = 0

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self.inserts += sql.startswith("INSERT INTO messages ")
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        rows = list(rows)
        self.inserts += len(rows) if sql.startswith("INSERT INTO messages ") else 0
        return self.db.executemany(sql, rows)

    def __enter__(self) -> sqlite3.Connection:
        return self.db.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self.db.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


def test_a_batch_of_messages_is_a_few_statements_and_keeps_the_upsert_rules(store: HistoryStore) -> None:
    """Not a statement per message: Python's sqlite3 lets go of the GIL around each one (see `add_messages`)."""
    store.save_chat(chat())
    store.add_messages([msg(1, outbound=True, status="delivered")])
    counting = store._db = _CountingInserts(store._db)  # type: ignore[assignment]
    # 250 messages, one of them twice in the batch and one a late echo of a stored one.
    batch = [msg(n) for n in range(2, 250)] + [msg(1, outbound=True, status="sent"), msg(5), msg(250, outbound=True, status="sent")]
    batch.append(msg(250, outbound=True, status="delivered"))
    store.add_messages(batch)
    store._db = counting.db
    assert counting.inserts == 3
    assert store.message_count() == 250
    statuses = {m.uid: m.status for m in store.messages("cht_1", limit=300)}
    assert statuses["msg_000001"] == "delivered" and statuses["msg_000250"] == "delivered"
