"""A real terminal for tests: one tmux session on a private server socket."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from support import require_tools

WAIT = 20.0  # seconds for any one thing to show up on the screen


class Tmux:
    """One tmux window of `width`x`height` on a private server, running `command`.

    Never the default socket and never the user's tmux.conf: killing our server
    must not touch anyone's sessions, and their settings must not change ours.
    """

    def __init__(self, command: str, env: dict[str, str] | None = None, width: int = 100, height: int = 30) -> None:
        require_tools("tmux", why="apt: tmux")
        self.socket = f"plow-tui-test-{uuid.uuid4().hex[:10]}"
        self.env = os.environ.copy() if env is None else env
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
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if condition(text):
                return text
            time.sleep(0.15)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{text}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10, env=self.env)
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)  # tmux leaves the socket file behind
