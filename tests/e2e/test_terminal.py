"""End to end in a real terminal: `plow-tui` in tmux (120x40) against `plow-tui sandbox`.

Everything a person would do, through the installed commands: the screen is
read with `capture-pane`, keys are typed with `send-keys`, and the people on
the other end are played through the sandbox's `/sandbox` routes. The tmux
server has a private socket and the sandbox is our own process: both are
stopped in `finally`, whatever happens.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from support.terminal_app import PHONE, PLOW_TUI, Sandbox, e164, rows
from support.tmux import Tmux
from support.waits import wait_until

def test_sign_in_chat_reconnect_and_quit_in_tmux(newcomer: tuple[Sandbox, dict[str, str], Path]) -> None:
    sandbox, env, home = newcomer
    app = shlex.join([str(PLOW_TUI), "--api-url", sandbox.url, "--insecure-storage", "--name", "Ada"])
    # After the app exits the shell prints its exit code and keeps the pane open to be read.
    terminal = Tmux(f"{app}; echo EXIT=$?; sleep 60", env, width=120, height=40)
    screens: list[str] = []
    try:
        # 1. The activation screen: the code and the number to text it to.
        screen = terminal.wait_for(lambda s: "Plow Activate:" in s and "polling" in s, "the activation code")
        screens.append(screen)
        code = re.search(r"Plow Activate: ([A-Z0-9]{5})", screen).group(1)
        line = e164(re.search(r"to\s+(\+1 \(\d{3}\) \d{3}-\d{4})", screen).group(1))
        assert "█▀▀▀▀▀█" in screen  # the QR code's finder pattern, drawn at 120x40

        # 2. Text it from the phone; the app lands in the provisioned chat, live.
        assert sandbox.sms(PHONE, line, f"Plow Activate: {code}") == "activated"
        screen = terminal.wait_for(
            lambda s: "Sign in by text" not in s and "● live" in s and "active" in s, "the chat, live"
        )
        screens.append(screen)

        # 3. Signing in opens the new chat with the editor focused; type a message: the phone receives it.
        terminal.wait_for(lambda s: "Ctrl+J newline" in s and "Filter" not in s, "the editor focused")
        terminal.type("hello from a real terminal")
        terminal.press("Enter")
        wait_until(lambda: "hello from a real terminal" in sandbox.texts_to(PHONE), "the phone to get the message")
        screens.append(terminal.wait_for(lambda s: "hello from a real terminal" in s, "the sent message"))

        # 4. The phone replies: it shows up.
        assert sandbox.sms(PHONE, line, "reply from the phone") == "message"
        screens.append(terminal.wait_for(lambda s: "reply from the phone" in s, "the reply"))

        # 5. The sockets drop; a text sent meanwhile still shows, exactly once.
        assert sandbox.drop_sockets() >= 1
        assert sandbox.sms(PHONE, line, "sent while the socket was down") == "message"
        terminal.wait_for(lambda s: "sent while the socket was down" in s, "the message sent during the drop")
        # Let the reconnect and its backfill finish (live, and nothing redrawn for a while), then count.
        terminal.wait_for(lambda s: "● live" in s, "the stream to come back")
        screen = terminal.wait_still()
        screens.append(screen)
        # Counted as conversation rows ("10:43  Ada  text"): the chat list's preview shows the text too.
        assert rows(screen, "sent while the socket was down") == 1, screen
        assert rows(screen, "reply from the phone") == 1, screen
        assert rows(screen, "hello from a real terminal") == 1, screen

        # 6. Ctrl+Q: a clean exit, and the terminal as it was.
        terminal.press("C-q")
        screen = terminal.wait_for(lambda s: "EXIT=0" in s, "a clean exit")
        assert terminal.flag("alternate_on") == "0"  # back from the alternate screen
        assert terminal.flag("cursor_flag") == "1"  # the cursor is visible again
        assert terminal.flag("mouse_any_flag") == "0" and terminal.flag("mouse_sgr_flag") == "0"  # no mouse reporting
        assert "● live" not in screen and "Plow Activate" not in screen  # nothing of the app left drawn

        # The token went to the 0600 file under the fresh home, and never onto the screen.
        token = _saved_token(home)
        assert all(token not in shown for shown in screens)
    finally:
        terminal.close()


def _saved_token(home: Path) -> str:
    """The `plw_` token `--insecure-storage` wrote under `home`; its file is private (0600)."""
    for path in home.rglob("*"):
        if path.is_file():
            match = re.search(r"plw_[A-Za-z0-9]{40}", path.read_text(errors="replace"))
            if match:
                assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
                return match.group(0)
    raise AssertionError("no token was saved under the fresh home directory")
