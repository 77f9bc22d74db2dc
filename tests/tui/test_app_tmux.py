"""End to end in a real terminal: `plow-tui --sandbox` in tmux, signed in by the simulated phone."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from support.tmux import Tmux

PLOW_TUI = Path(sys.executable).with_name("plow-tui")


def test_sandbox_demo_from_code_to_chat() -> None:
    # `; echo EXIT=$?; sleep` keeps the pane open after the app exits, to read its exit code.
    command = f"{shlex.quote(str(PLOW_TUI))} --sandbox --name Ada; echo EXIT=$?; sleep 30"
    tmux = Tmux(command)
    try:
        screen = tmux.wait_for(lambda s: "Plow Activate:" in s and "● polling" in s, "the code")
        assert "SANDBOX http://127.0.0.1:" in screen
        assert "█▀▀▀▀▀█" in screen  # the QR code's finder pattern
        tmux.press("p")
        tmux.wait_for(lambda s: "texting +1 (555) 000-0001" in s and "● live" in s, "the phone")
        tmux.press("Enter")
        screen = tmux.wait_for(
            lambda s: "Sign in by text" not in s and "texting" not in s and "+1 (555) 000-0001" in s,
            what="the chats",
        )
        assert "Plow Activate:" not in screen
        tmux.press("C-q")
        tmux.wait_for(lambda s: "EXIT=0" in s, "a clean exit")
    finally:
        tmux.close()
