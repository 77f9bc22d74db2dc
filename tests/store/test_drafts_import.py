"""Drafts and unsent texts come into the account's store: from an old drafts.json, and from before the account was known."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timezone
from pathlib import Path

from test_history import chat

from plow_tui.store.location import UNASSIGNED, Histories
from plow_tui.store.unsent import Unsent

URL = "https://api.plow.co"
AT = datetime(2026, 11, 29, 18, 30, 5, 123456, tzinfo=timezone.utc)

# Byte for byte what the last version with drafts.json wrote (`DraftFile.save`: json.dump, ensure_ascii=False),
# with a chat from an even older version (a bare string), another server's part, and a damaged entry.
OLD_FILE = (
    '{"https://api.plow.co": {"cht_a": {"draft": "half a thought é", "unsent": ['
    '{"uid": "local-0a1b2c3d4e5f6a7b", "body": "refused one", "at": "2026-11-29T18:30:05.123456+00:00", "state": "failed", "after": "msg_1"}, '
    '{"uid": "local-1a1b2c3d4e5f6a7b", "body": "in flight", "at": "2026-11-29T18:30:05.123456+00:00", "state": "sending", "after": null}, '
    '{"uid": "local-2", "body": "no time"}]}, '
    '"cht_b": "a draft from an older version"}, '
    '"http://127.0.0.1:8765": {"cht_x": {"draft": "the sandbox\'s"}}}'
)


def old_file(tmp_path: Path) -> Path:
    path = tmp_path / "state" / "drafts.json"
    path.parent.mkdir(parents=True)
    path.write_text(OLD_FILE, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_an_old_drafts_file_is_imported_once_and_only_this_servers_part_leaves_it(tmp_path: Path) -> None:
    legacy = old_file(tmp_path)
    histories = Histories(URL, root=tmp_path / "history", legacy_drafts=legacy)
    store = histories.open_for("tok", [chat()])
    assert store is not None
    assert store.drafts() == {"cht_a": "half a thought é", "cht_b": "a draft from an older version"}
    assert store.unsent() == {
        "cht_a": [
            Unsent("local-0a1b2c3d4e5f6a7b", "refused one", AT, "failed", "msg_1"),
            Unsent("local-1a1b2c3d4e5f6a7b", "in flight", AT, "sending", None),
        ]
    }
    store.save_unsent("cht_a", [])  # sent since
    store.close()
    # Read once: this server's part is gone from the file, the other server's stays for its own store.
    assert json.loads(legacy.read_text()) == {"http://127.0.0.1:8765": {"cht_x": {"draft": "the sandbox's"}}}
    assert stat.S_IMODE(legacy.stat().st_mode) == 0o600
    again = histories.open_known("tok")
    assert again is not None and again.unsent() == {}  # not imported a second time
    again.close()
    # The last part imported: the file goes.
    other = Histories("http://127.0.0.1:8765", root=tmp_path / "history", legacy_drafts=legacy).open_for("tok2", [chat()])
    assert other is not None and other.drafts() == {"cht_x": "the sandbox's"}
    other.close()
    assert not legacy.exists()


def test_a_kill_between_the_import_and_the_files_update_imports_nothing_twice(tmp_path: Path) -> None:
    legacy = old_file(tmp_path)
    kept = legacy.read_text()
    histories = Histories(URL, root=tmp_path / "history", legacy_drafts=legacy)
    histories.open_for("tok", [chat()]).close()
    legacy.write_text(kept)  # as if killed before the file lost this server's part
    store = histories.open_known("tok")
    assert [t.uid for t in store.unsent()["cht_a"]] == ["local-0a1b2c3d4e5f6a7b", "local-1a1b2c3d4e5f6a7b"]
    store.close()


def test_texts_kept_before_the_account_was_known_move_into_its_store(tmp_path: Path) -> None:
    histories = Histories(URL, root=tmp_path / "history", legacy_drafts=tmp_path / "none.json")
    waiting = histories.open_unassigned()
    waiting.save_drafts({"cht_a": "typed before the chat list came"})
    waiting.move_to_outbox("cht_b", [Unsent("local-1", "sent before it too", AT, "waiting")])
    waiting.close()
    assert (histories.location.directory / UNASSIGNED).exists()
    assert histories.open_known("tok") is None  # the account is still unknown: nothing opened, nothing taken
    store = histories.open_for("tok", [chat()])
    assert store is not None
    assert store.drafts() == {"cht_a": "typed before the chat list came"}
    assert store.unsent() == {"cht_b": [Unsent("local-1", "sent before it too", AT, "waiting")]}
    store.close()
    assert not any(histories.location.directory.glob(UNASSIGNED + "*"))


def test_a_sandbox_keeps_its_unassigned_texts_in_memory(tmp_path: Path) -> None:
    histories = Histories("http://127.0.0.1:4321", root=tmp_path / "history", memory=True)
    store = histories.open_unassigned()
    assert store.path is None
    store.close()
    assert not (tmp_path / "history").exists()


def test_forgetting_an_account_also_deletes_texts_kept_before_any_account_was_known(tmp_path: Path) -> None:
    histories = Histories(URL, root=tmp_path / "history", legacy_drafts=tmp_path / "none.json")
    store = histories.open_for("tok", [chat()])
    store.close()
    waiting = histories.open_unassigned()
    waiting.save_drafts({"cht_a": "private words"})
    waiting.close()
    removed = histories.location.forget(histories.location.account_for("tok"))
    assert histories.location.directory / UNASSIGNED in removed
    assert not any(histories.location.directory.glob("*.sqlite3*"))
