"""End to end in a real terminal: `plow-tui` in tmux (120x40) against `plow-tui sandbox`.

Everything a person would do, through the installed commands: the screen is
read with `capture-pane`, keys are typed with `send-keys`, and the people on
the other end are played through the sandbox's `/sandbox` routes. The tmux
server has a private socket and the sandbox is our own process: both are
stopped in `finally`, whatever happens.
"""

from __future__ import annotations

import os
import re
import selectors
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from support.tmux import Tmux

PLOW_TUI = Path(sys.executable).with_name("plow-tui")
PHONE = "+15557654321"  # the person signing in
WAIT = 20.0  # seconds for any one thing to show up; the whole test stays well under a minute


def _clean_env(home: Path) -> dict[str, str]:
    """The environment of a newcomer's shell: a fresh home, no Plow settings, colours on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLOW_", "TMUX", "XDG_"))}
    env.pop("NO_COLOR", None)
    env.pop("TEXTUAL", None)
    env.update(HOME=str(home), TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    return env


class Sandbox:
    """`plow-tui sandbox --port 0` as a child process; `url` is where it listens."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [str(PLOW_TUI), "sandbox", "--port", "0", "--seed", "9"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.url = self._read_url()
        self.http = httpx.Client(base_url=self.url, timeout=5.0)

    def _read_url(self) -> str:
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + WAIT
        seen = []
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            line = self.process.stdout.readline()
            if not line:
                break
            seen.append(line)
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if match:
                return match.group(1)
        raise AssertionError(f"the sandbox did not start; it printed: {''.join(seen)!r}")

    def sms(self, sender: str, to: str, text: str) -> str:
        response = self.http.post("/sandbox/sms", json={"from": sender, "to": to, "text": text})
        response.raise_for_status()
        return response.json()["effect"]

    def texts_to(self, phone: str) -> list[str]:
        response = self.http.get(f"/sandbox/phones/{phone}/texts")
        response.raise_for_status()
        return [t["text"] for t in response.json()["data"]]

    def drop_sockets(self) -> int:
        response = self.http.post("/sandbox/faults", json={"drop_sockets": True})
        response.raise_for_status()
        return response.json()["dropped_sockets"]

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()  # SIGTERM: the sandbox stops cleanly
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _e164(shown: str) -> str:
    """`+1 (555) 000-0001` as the screen shows it, back to `+15550000001`."""
    return "+" + re.sub(r"\D", "", shown)


def _rows(screen: str, body: str) -> int:
    """How many conversation rows (time, sender, text) show `body`."""
    return len(re.findall(rf"\d\d:\d\d +(?:Ada|you) +{re.escape(body)}", screen))


def _wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.15)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def newcomer(tmp_path: Path) -> Iterator[tuple[Sandbox, dict[str, str], Path]]:
    home = tmp_path / "home"
    home.mkdir()
    env = _clean_env(home)
    sandbox = Sandbox(env)
    try:
        yield sandbox, env, home
    finally:
        sandbox.stop()


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
        line = _e164(re.search(r"to\s+(\+1 \(\d{3}\) \d{3}-\d{4})", screen).group(1))
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
        _wait_until(lambda: "hello from a real terminal" in sandbox.texts_to(PHONE), "the phone to get the message")
        screens.append(terminal.wait_for(lambda s: "hello from a real terminal" in s, "the sent message"))

        # 4. The phone replies: it shows up.
        assert sandbox.sms(PHONE, line, "reply from the phone") == "message"
        screens.append(terminal.wait_for(lambda s: "reply from the phone" in s, "the reply"))

        # 5. The sockets drop; a text sent meanwhile still shows, exactly once.
        assert sandbox.drop_sockets() >= 1
        assert sandbox.sms(PHONE, line, "sent while the socket was down") == "message"
        terminal.wait_for(lambda s: "sent while the socket was down" in s, "the message sent during the drop")
        # Let the reconnect and its backfill finish, then count.
        screen = terminal.wait_for(lambda s: "● live" in s, "the stream to come back")
        time.sleep(1.0)
        screen = terminal.screen()
        screens.append(screen)
        # Counted as conversation rows ("10:43  Ada  text"): the chat list's preview shows the text too.
        assert _rows(screen, "sent while the socket was down") == 1, screen
        assert _rows(screen, "reply from the phone") == 1, screen
        assert _rows(screen, "hello from a real terminal") == 1, screen

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
