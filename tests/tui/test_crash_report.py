"""A crash shows (and saves) a report without local variables or secrets."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

CANARY = "plowtok_CANARY_d1e8c0ffee5ecret"

CRASHING_APP = textwrap.dedent(
    f"""
    from plow_tui.logs import register_secret
    from plow_tui.tui.app import PlowBaseApp

    class Crashing(PlowBaseApp):
        def on_mount(self):
            token = {CANARY!r}  # a local that Textual's own report would print
            register_secret(token)
            raise RuntimeError("boom while holding " + token)

    app = Crashing()
    app.run(headless=True)
    raise SystemExit(app.return_code)
    """
)


def test_crash_report_has_no_locals_or_secrets(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_APP], capture_output=True, text=True, env=env, timeout=60
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "plow-tui closed after an unexpected error" in output
    assert "RuntimeError: boom while holding [redacted]" in output
    assert CANARY not in output
    reports = list((tmp_path / "state").rglob("crash-*.txt"))
    assert len(reports) == 1, reports
    assert reports[0].stat().st_mode & 0o777 == 0o600
    saved = reports[0].read_text()
    assert "RuntimeError" in saved and CANARY not in saved
