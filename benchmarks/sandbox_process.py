"""A sandbox in its own process for the benchmarks: prints its base URL, runs until stdin closes.

In real use the server is not in the app's process; a sandbox thread inside
the measured process would compete with the app for the GIL and add its own
pauses to every figure.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plow_tui.sandbox import SandboxConfig, SandboxServer  # noqa: E402


class _NotClientDisconnects(logging.Filter):
    """The startup and idle figures kill the app mid-request by design: not news here."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return type(error).__name__ != "ClientDisconnect"


def main() -> int:
    logging.getLogger("uvicorn.error").addFilter(_NotClientDisconnects())
    server = SandboxServer(SandboxConfig(port=0, seed=1, delivery_delay_ms=5))
    print(server.start(), flush=True)
    try:
        sys.stdin.read()  # returns when the benchmark closes our stdin (or exits)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
