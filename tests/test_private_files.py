"""private_files.replace_private: the one way plow-tui writes a private file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from plow_tui.private_files import replace_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "secrets.json"
    old_umask = os.umask(0)  # the most permissive: the file must still be 0600
    try:
        replace_private(target, '{"a": 1}')
    finally:
        os.umask(old_umask)
    assert target.read_text(encoding="utf-8") == '{"a": 1}'
    assert _mode(target) == 0o600


def test_replacing_a_loose_file_leaves_it_owner_only_and_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "accounts.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    replace_private(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        replace_private(target, "half \udc80 written")  # a lone surrogate cannot be UTF-8
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_bytes_are_written_as_they_are(tmp_path: Path) -> None:
    target = tmp_path / "styles.pickle"
    replace_private(target, b"\x80\x05 not text \xff")
    assert target.read_bytes() == b"\x80\x05 not text \xff"
    assert _mode(target) == 0o600
