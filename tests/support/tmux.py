"""A real terminal for tests: one tmux session on a private server socket."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from support import require_tools
from support.waits import WAIT, TimedOut, wait_until


class Tmux:
    """One tmux window of `width`x`height` on a private server, running `command`.

    Never the default socket and never the user's tmux.conf: killing our server
    must not touch anyone's sessions, and their settings must not change ours.
    """

    def __init__(self, command: str, env: dict[str, str] | None = None, width: int = 100, height: int = 30) -> None:
        require_tools("tmux", why="apt: tmux")
        self.socket = f"plow-tui-test-{uuid.uuid4().hex[:10]}"
        self.env = dict(os.environ if env is None else env)
        # The terminal decides the app's size: an inherited COLUMNS/LINES (pytest-xdist
        # workers export 80x24) would override the window's and the app would draw 80x24.
        for name in ("COLUMNS", "LINES"):
            self.env.pop(name, None)
        self.socket_path: Path | None = None
        try:
            self.tmux("new-session", "-d", "-s", "app", "-x", str(width), "-y", str(height), command)
            self.socket_path = Path(self.tmux("display-message", "-p", "#{socket_path}").strip())
        except BaseException:
            self.close()
            raise

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=10,
            env=self.env,
        )
        if result.returncode:
            raise AssertionError(f"tmux {args[0]} failed: {result.stderr.strip()}")
        return result.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app")

    def flag(self, name: str) -> str:
        """A tmux format variable of the pane, e.g. `alternate_on`."""
        return self.tmux("display-message", "-p", "-t", "app", f"#{{{name}}}").strip()

    def type(self, text: str) -> None:
        """Type `text` literally (no key names)."""
        self.tmux("send-keys", "-t", "app", "-l", text)

    def press(self, *keys: str) -> None:
        """Press keys by tmux name: `Enter`, `C-q`, `p`."""
        self.tmux("send-keys", "-t", "app", *keys)

    def wait_for(self, condition: Callable[[str], object], what: str, timeout: float = WAIT) -> str:
        """The screen once `condition(screen)` holds; fail naming `what`, with the last screen."""
        last = [""]

        def holds() -> bool:
            last[0] = self.screen()
            return bool(condition(last[0]))

        try:
            wait_until(holds, what, timeout, step=0.15)
        except TimedOut as timed_out:
            raise AssertionError(f"{timed_out}; the screen was:\n{last[0]}") from None
        return last[0]

    def wait_still(self, quiet: float = 0.6, timeout: float = WAIT) -> str:
        """The screen once it has not changed for `quiet` s (late redraws, e.g. a backfill, have landed)."""
        last = [self.screen(), time.monotonic()]

        def still() -> bool:
            now = self.screen()
            if now != last[0]:
                last[:] = [now, time.monotonic()]
            return time.monotonic() - last[1] >= quiet

        wait_until(still, "the screen to settle", timeout, step=0.1)
        return last[0]

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10, env=self.env)
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)  # tmux leaves the socket file behind
