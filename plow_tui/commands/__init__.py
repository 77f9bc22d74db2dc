"""Subcommands of `plow-tui`.

Each module here exposes `register(subparsers, common)` which adds its
argparse subcommands and sets `func` on them to a callable `(args) -> int`.
Modules import heavy dependencies (httpx, websockets, uvicorn, textual) inside
those callables, never at import time, so `plow-tui --help` stays fast.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes, documented in `plow-tui --help`."""

    OK = 0
    ERROR = 1  # anything not covered below
    USAGE = 2  # bad arguments (argparse uses 2 as well)
    NOT_SIGNED_IN = 3  # no token, or the server rejected it (401)
    NOT_FOUND = 4  # unknown or deleted chat / resource (404, 410)
    NETWORK = 5  # server unreachable, timed out, or answered 5xx
    MAYBE_SENT = 6  # a send's outcome is unknown (timed out, 5xx, garbled answer): check before resending
    INTERRUPTED = 130  # Ctrl+C


EXIT_CODES_HELP = """\
exit codes:
  0    success
  1    other error
  2    usage error
  3    not signed in (no token, or the server rejected it)
  4    not found (unknown or deleted chat)
  5    network or server failure
  6    a send may have gone through (no clear answer): check history before resending
  130  interrupted (Ctrl+C)
"""
