"""End to end in a real terminal: `plow-tui --sandbox` in tmux, signed in by the simulated phone."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (CI installs it)")

PLOW_TUI = Path(sys.executable).with_name("plow-tui")


class Tmux:
    """One detached tmux session on a private server socket."""

    def __init__(self, command: str, width: int = 100, height: int = 30) -> None:
        self.socket = f"plow-tui-test-{uuid.uuid4().hex[:8]}"
        self.session = "app"
        self._tmux("new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height), command)

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10, env=os.environ.copy()
        )
        result.check_returncode()
        return result.stdout

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.session, *keys)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.session)

    def wait_for(self, condition, timeout: float = 20.0, what: str = "the screen") -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if condition(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{text}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=10)


def test_sandbox_demo_from_code_to_chat() -> None:
    # `; echo EXIT=$?; sleep` keeps the pane open after the app exits, to read its exit code.
    command = f"{shlex.quote(str(PLOW_TUI))} --sandbox --name Ada; echo EXIT=$?; sleep 30"
    tmux = Tmux(command)
    try:
        screen = tmux.wait_for(lambda s: "Plow Activate:" in s and "● polling" in s, what="the code")
        assert "SANDBOX http://127.0.0.1:" in screen
        assert "█▀▀▀▀▀█" in screen  # the QR code's finder pattern
        tmux.send("p")
        tmux.wait_for(lambda s: "texting +1 (555) 000-0001" in s and "● live" in s, what="the phone")
        tmux.send("Enter")
        screen = tmux.wait_for(
            lambda s: "Sign in by text" not in s and "texting" not in s and "+1 (555) 000-0001" in s,
            what="the chats",
        )
        assert "Plow Activate:" not in screen
        tmux.send("C-q")
        tmux.wait_for(lambda s: "EXIT=0" in s, what="a clean exit")
    finally:
        tmux.close()
