"""The log file is private and never holds a secret."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from plow_tui.logs import configure_logging, redact, register_secret


@pytest.fixture(autouse=True)
def _remove_log_handler():
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_plow_tui_handler", False)]:
        root.removeHandler(handler)
        handler.close()


def test_patterns_are_redacted() -> None:
    text = (
        "GET ws://h/v1/ws?ticket=abc123&x=1 Authorization: Bearer tok.en-1 "
        'secret act_AbC_12 {"token": "zzz", "ticket": "t1"}'
    )
    out = redact(text)
    for leaked in ("abc123", "tok.en-1", "act_AbC_12", "zzz", '"t1"'):
        assert leaked not in out
    assert "x=1" in out


def test_token_shape_redacted_without_registration() -> None:
    # A token pasted into an error or a third-party message before the client
    # has registered it (the sandbox's and Plow's own `plw_…` shape).
    token = "plw_" + "Ab3" * 13 + "z"
    out = redact(f"refused: {token}, try again")
    assert token not in out and token[4:] not in out
    assert out == "refused: [redacted], try again"
    assert redact("plw_short and plw_") == "plw_short and plw_"  # not a token: too short to be one


def test_registered_secret_redacted_in_file(tmp_path: Path) -> None:
    path = configure_logging(tmp_path / "logs" / "plow-tui.log", level=logging.DEBUG)
    register_secret("canary-token-0123456789")
    register_secret("short")  # too short to redact safely: ignored
    logger = logging.getLogger("plow_tui.test")
    logger.info("token is %s", "canary-token-0123456789")
    try:
        raise RuntimeError("boom canary-token-0123456789")
    except RuntimeError:
        logger.exception("failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    content = path.read_text()
    assert "canary-token-0123456789" not in content
    assert content.count("[redacted]") >= 2
    assert redact("a short word") == "a short word"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_default_path_under_state_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = configure_logging()
    assert path == tmp_path / "state" / "plow-tui" / "plow-tui.log"
    assert path.exists()
    # Reconfiguring replaces the handler instead of adding another.
    configure_logging()
    marked = [h for h in logging.getLogger().handlers if getattr(h, "_plow_tui_handler", False)]
    assert len(marked) == 1


def test_the_redaction_patterns_are_compiled_with_the_first_line_logged() -> None:
    # Compiling them as the module loaded cost ~1 ms before the main screen's first frame, which logs nothing.
    from support.compiled import compiled_counts

    steps = [
        "from plow_tui.logs import redact",
        # The token's shape put together, not written out (no token-like literal in the repository).
        "assert redact('Bearer ' + 'plw_' + 'Ab3' * 7) == 'Bearer [redacted]'",
    ]
    assert compiled_counts("plow_tui.logs", steps) == [0, 6]
