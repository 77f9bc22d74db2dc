"""`support.require_tools`: a missing tool skips a test locally and fails it under CI."""

from __future__ import annotations

import pytest
from support import require_tools


def test_a_missing_tool_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"needs no-such-tool-7f3 \(apt: nothing\)"):
        require_tools("sh", "no-such-tool-7f3", why="apt: nothing")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI installs it, but it is missing: needs no-such-tool-7f3"):
        require_tools("sh", "no-such-tool-7f3", why="apt: nothing")
    require_tools("sh", why="always there")  # present: nothing happens
