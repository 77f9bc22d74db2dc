"""Logging to a private file, with every known secret redacted.

Tokens, WebSocket tickets and activation secrets must never reach a log
(CONVENTIONS §3). Two nets catch them: values the client registers with
`register_secret()` as it learns them, and patterns that look like credentials
whatever their value (`ticket=…`, `Bearer …`, `act_…`, `plw_…`). The filter rewrites
each record's message; the formatter also scrubs the final text, so tracebacks
and third-party messages (httpx, websockets) are covered too.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from pathlib import Path

from plow_tui.paths import state_dir

LOG_FILE_NAME = "plow-tui.log"
REDACTED = "[redacted]"

# Shorter values would redact ordinary words; real tokens are far longer.
_MIN_SECRET_LENGTH = 8


@functools.cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    """The credential-looking patterns, compiled with the first line logged (not before the first frame)."""
    return (
        re.compile(r"(?i)(ticket=)[^&\s\"'<>]+"),
        re.compile(r"(?i)(\"?ticket\"?\s*:\s*\"?)[^\"\s,}]+"),
        re.compile(r"(?i)(bearer\s+)[^\s\"',]+"),
        re.compile(r"(?i)(\"?(?:token|activation_secret)\"?\s*:\s*\")[^\"]+"),
        re.compile(r"()\bact_[A-Za-z0-9_\-]+"),
        # The bearer token's own shape (`plw_` and 40 letters or digits in the
        # sandbox): caught even where no "Bearer"/"token" word stands before it.
        re.compile(r"()\bplw_[A-Za-z0-9]{16,}"),
    )


_secrets: set[str] = set()
_lock = threading.Lock()
_HANDLER_MARK = "_plow_tui_handler"


def register_secret(value: str | None) -> None:
    """Remember `value` so it is redacted from every log line from now on."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """`text` with every registered secret and credential-looking pattern replaced."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _patterns():
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with secrets redacted (and drops its args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not kill logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """Scrubs the fully formatted line, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def default_log_path() -> Path:
    return state_dir() / LOG_FILE_NAME


def _open_private(path: Path) -> None:
    """Create `path` as 0600 (its directory 0700) before any handler opens it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_NOFOLLOW: a symlink planted at `path` is refused (OSError), never
    # written through, and its target's mode never changed.
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        # An older file may have been created with looser permissions; fchmod
        # changes the file just opened, not whatever the name points to now.
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def configure_logging(path: Path | str | None = None, level: int = logging.INFO) -> Path:
    """Send the root logger to a private file with redaction; returns the path.

    Calling it again replaces the handler installed before, so tests and the
    app can reconfigure without duplicating lines.
    """
    log_path = Path(path) if path is not None else default_log_path()
    _open_private(log_path)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.addFilter(RedactingFilter())
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    return log_path


def write_crash_report(error: BaseException) -> tuple[str, Path | None]:
    """The traceback of `error`, redacted and without local variables, and where a copy went.

    Textual's own crash screen prints every frame's locals, which can hold a
    token; this report never does. The copy is a 0600 file in the state
    directory (None when it could not be written: the report is still shown).
    """
    import time
    import traceback

    text = redact("".join(traceback.format_exception(error)))
    path = state_dir() / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    try:
        _open_private(path)
        path.write_text(text, encoding="utf-8")
    except OSError:
        return text, None
    return text, path
