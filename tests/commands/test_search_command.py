"""`plow-tui search`, `logout [--forget]` and doctor's search line, in-process over a real store file."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from plow_tui.cli import main
from plow_tui.client.models import Chat, Line, Member, ChatMessage, Sender, Agent
from plow_tui.store.history import HistoryStore
from plow_tui.store.location import HistoryLocation

URL = "http://127.0.0.1:8765"
TOKEN = "tok-for-search-tests"
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def _chat(uid: str, title: str) -> Chat:
    owner = Member(uid="cp_o", status="active", display_name="Ada", role="owner", provider_key="+15551230002")
    agent = Agent(line=Line(uid="ln_1", provider_key="+15550000001"))
    return Chat(uid=uid, status="active", display_name=title, members=(owner,), agents=(agent,))


def _message(n: int, chat_uid: str, body: str) -> ChatMessage:
    return ChatMessage(
        uid=f"msg_{n}", chat_uid=chat_uid, direction="inbound", body=body, status="received",
        sender=Sender(type="member", display_name="Sarah"), created_at=T0 + timedelta(minutes=n),
    )


@pytest.fixture
def history(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLOW_TOKEN", TOKEN)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    path = HistoryLocation(URL).remember(TOKEN, "15551230002")
    with HistoryStore.open(path) as store:
        store.save_chats([_chat("cht_home", "Home"), _chat("cht_work", "Work")])
        store.add_messages(
            [
                _message(1, "cht_home", "canary-body dinner at the Café?"),
                _message(2, "cht_work", "dinner meeting moved\n\x1b[31mred"),
                _message(3, "cht_work", "nothing to see"),
            ]
        )
    return path


def test_search_prints_matches_newest_first(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "dinner", "--api-url", URL]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "Work  Sarah: dinner meeting moved ␛[31mred" in lines[0]  # sanitised, on one line
    assert "Home  Sarah: canary-body dinner at the Café?" in lines[1]
    assert "\x1b" not in "".join(lines)


def test_search_json_chat_and_limit(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "cafe", "--api-url", URL, "--json"]) == 0
    [hit] = json.loads(capsys.readouterr().out)
    assert hit["chat_uid"] == "cht_home" and hit["chat_title"] == "Home" and hit["message_uid"] == "msg_1"
    start, end = hit["matches"][0]
    assert hit["snippet"][start:end] == "Café"
    assert main(["search", "dinner", "--chat", "work", "--api-url", URL, "--json"]) == 0
    assert [h["message_uid"] for h in json.loads(capsys.readouterr().out)] == ["msg_2"]
    assert main(["search", "dinner", "--limit", "1", "--api-url", URL, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    assert main(["search", "dinner", "--chat", "Nowhere", "--api-url", URL]) == 2
    assert "No stored chat" in capsys.readouterr().err


def test_search_without_history_says_so(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    assert main(["search", "x", "--api-url", URL, "--insecure-storage"]) == 0
    assert "No local history" in capsys.readouterr().err


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_logout_keeps_the_history_and_says_where_forget_deletes_it(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = Path(os.environ["XDG_STATE_HOME"])
    assert _files_containing(state, b"canary-body") == [history]  # nowhere but the store
    assert main(["logout", "--api-url", URL]) == 0
    out = capsys.readouterr().out
    assert f"Your message history stays in {history}" in out and "--forget" in out
    assert history.exists()
    assert main(["logout", "--forget", "--api-url", URL]) == 0
    assert "Deleted the local message history" in capsys.readouterr().out
    assert _files_containing(state, b"canary-body") == []
    assert not list(history.parent.glob("*.sqlite3*"))
    assert main(["search", "dinner", "--api-url", URL]) == 0
    assert "No local history" in capsys.readouterr().err


def test_doctor_says_fts5_or_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    from plow_tui.commands import search
    from plow_tui.store import history as store_history

    ok, what, detail = search.search_check()
    assert what == "search" and ("FTS5 (indexed)" in detail) == (ok is True)
    monkeypatch.setattr(store_history, "fts5_available", lambda: False)
    ok, _, detail = search.search_check()
    assert ok is None and "plain scan" in detail
