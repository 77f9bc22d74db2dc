"""End to end in a real terminal: `plow-tui --sandbox` in tmux, signed in by the simulated phone."""

from __future__ import annotations

import os
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


def test_alt_e_hands_the_terminal_to_visual_and_the_app_comes_back(tmp_path: Path) -> None:
    # A real editor process in a real terminal: it shows itself, waits until the test has seen it
    # (a go-file, not a fixed pause), then saves its text; the app's screen must come back with it.
    go = tmp_path / "go"
    editor = tmp_path / "editor.sh"
    editor.write_text(
        "#!/bin/sh\n"
        'printf "IN THE EDITOR: %s\\n" "$(cat "$1")"\n'
        f"while [ ! -e {shlex.quote(str(go))} ]; do sleep 0.05; done\n"
        "printf 'written in the editor\\n' > \"$1\"\n"
    )
    editor.chmod(0o700)
    env = {**os.environ, "VISUAL": str(editor), "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    tmux = Tmux(f"{shlex.quote(str(PLOW_TUI))} --sandbox --name Ada; echo EXIT=$?; sleep 30", env=env)
    try:
        tmux.wait_for(lambda s: "Plow Activate:" in s and "● polling" in s, "the code")
        tmux.press("p")
        tmux.wait_for(lambda s: "texting +1 (555) 000-0001" in s and "● live" in s, "the phone")
        tmux.press("Enter")
        tmux.wait_for(lambda s: "Sign in by text" not in s and "Editor" in s, "the chat with the editor focused")
        tmux.type("short")
        tmux.wait_for(lambda s: "short" in s, "the draft")
        tmux.press("M-e")
        screen = tmux.wait_for(lambda s: "IN THE EDITOR: short" in s, "the editor with the draft")
        assert "Editor" not in screen  # the app's footer is gone: the editor has the terminal
        go.touch()
        tmux.wait_for(lambda s: "written in the editor" in s and "Editor" in s, "the app back with the text")
        tmux.press("C-q")
        tmux.wait_for(lambda s: "EXIT=0" in s, "a clean exit")
    finally:
        tmux.close()
