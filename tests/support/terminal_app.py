"""The installed `plow-tui` as a newcomer runs it, and `plow-tui sandbox` beside it, for terminal tests."""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
import time
from pathlib import Path

import httpx

from support.waits import WAIT

PLOW_TUI = Path(sys.executable).with_name("plow-tui")  # the console script pip installed
PHONE = "+15557654321"  # the person signing in


def clean_env(home: Path) -> dict[str, str]:
    """The environment of a newcomer's shell: a fresh home, no Plow or XDG settings, colours on."""
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
        self.http = httpx.Client(base_url=self.url, timeout=10.0)

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


def e164(shown: str) -> str:
    """`+1 (555) 000-0001` as the screen shows it, back to `+15550000001`."""
    return "+" + re.sub(r"\D", "", shown)


def rows(screen: str, body: str) -> int:
    """How many conversation rows (time, sender, delivery mark, text) show `body` (the chat list's preview is not one)."""
    return len(re.findall(rf"\d\d:\d\d +(?:Ada|you) +(?:[✓✗?…]+ +)?{re.escape(body)}", screen))
