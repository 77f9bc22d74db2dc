"""Soak: the installed app in a real terminal for three minutes at a person's pace.

This is the one test allowed to run longer than 20 s (about 3 minutes, marked
`soak` with its own timeout): its length is the point. Short scripted runs at
machine speed never kept the app up for 30 s, so they never saw it die there
(issue #13). Here `plow-tui` (fresh HOME) runs in tmux against `plow-tui
sandbox`; it signs in with the code read off the screen; a phone texts every
few seconds; replies are typed key by key with a person's gaps between keys;
every minute the server drops every socket; twice the keys are toured (`Tab`,
`?`, `Esc`, `Ctrl+P`, `Esc`, `/`, `Esc`). At the end the process still runs
and each message, both ways, is on screen exactly once.

The gaps of the person (between keys, between texts) are real waits: they are
what makes this a soak. Anything that waits for the app polls the screen or
the server with a timeout instead.
"""

from __future__ import annotations

import random
import re
import shlex
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.terminal_app import PHONE, PLOW_TUI, Sandbox, e164, rows
from support.tmux import Tmux
from support.waits import wait_until

SOAK_S = 180.0  # at least three minutes of use after signing in
TEXT_EVERY_S = (2.5, 4.5)  # a text from the phone every few seconds
REPLY_EVERY = 4  # a reply typed after every 4th text
FIRST_DROP_S, DROP_EVERY_S = 45.0, 60.0  # the server drops every socket at 45 s, then every minute
TOUR_AT_S = (35.0, 125.0)  # a tour of the keys at these times
KEY_GAP_S = (0.04, 0.22)  # between two keys typed by a person
WAIT = 30.0  # for one thing to show up, on a busy machine
HEIGHT = 110  # tall enough that the whole conversation stays on screen to be counted


def _footer(screen: str) -> str:
    return screen.rstrip("\n").splitlines()[-1]


def _editor_focused(screen: str) -> bool:
    # The footer shows `/ Filter` everywhere but in the editor (there `/` is typed).
    return "Ctrl+J newline" in screen and "/ Filter" not in _footer(screen)


class Person:
    """Drives the app in `terminal` at a human pace; fails at once if the app has exited."""

    def __init__(self, terminal: Tmux, rng: random.Random) -> None:
        self.terminal = terminal
        self.rng = rng

    def wait_for(self, condition: Callable[[str], object], what: str) -> str:
        def seen(screen: str) -> bool:
            if "EXIT=" in screen:  # the shell printed the app's exit code: it is gone
                raise AssertionError(f"the app exited while waiting for {what}; the screen was:\n{screen}")
            return bool(condition(screen))

        return self.terminal.wait_for(seen, what, timeout=WAIT)

    def pause(self, low: float, high: float) -> None:
        """A person's gap (a real wait: the pace is what is being tested)."""
        time.sleep(self.rng.uniform(low, high))

    def type_slowly(self, text: str) -> None:
        for char in text:
            self.terminal.type(char)
            self.pause(*KEY_GAP_S)

    def tour_the_keys(self) -> None:
        """From the editor: keys, palette and filter, each opened and closed with Esc; back to the editor."""
        t = self.terminal
        t.press("Tab")  # editor → chat list (wraps)
        self.wait_for(lambda s: "/ Filter" in _footer(s), "focus to leave the editor")
        self.pause(0.5, 1.5)
        t.press("?")
        self.wait_for(lambda s: "Esc close" in s and "unread" in s.lower(), "the keys screen")
        self.pause(1.0, 2.5)  # reading it
        t.press("Escape")
        self.wait_for(lambda s: "Esc close" not in s, "the keys screen to close")
        self.pause(0.5, 1.5)
        t.press("C-p")
        self.wait_for(lambda s: "Search for commands" in s, "the command palette")
        self.pause(1.0, 2.0)
        t.press("Escape")
        self.wait_for(lambda s: "Search for commands" not in s, "the palette to close")
        self.pause(0.5, 1.5)
        t.press("/")
        self.wait_for(lambda s: "filter chats" in s, "the chat filter")
        self.pause(0.5, 1.5)
        t.press("Escape")
        self.wait_for(lambda s: "filter chats" not in s and "/ Filter" in _footer(s), "the filter to close")
        self.pause(0.3, 1.0)
        t.press("BTab")  # chat list → editor (Shift+Tab wraps backwards)
        self.wait_for(_editor_focused, "the editor focused again")


@pytest.mark.soak
@pytest.mark.timeout(600)
def test_three_minutes_of_use_at_a_persons_pace(newcomer: tuple[Sandbox, dict[str, str], Path]) -> None:
    sandbox, env, _home = newcomer
    rng = random.Random(13)
    app = shlex.join([str(PLOW_TUI), "--api-url", sandbox.url, "--insecure-storage", "--name", "Ada"])
    terminal = Tmux(f"{app}; echo EXIT=$?; sleep 600", env, width=120, height=HEIGHT)
    person = Person(terminal, rng)
    received: list[str] = []  # texts from the phone, in order
    sent: list[str] = []  # replies typed in the app
    try:
        # Sign in with the code on the screen, texted from the phone.
        screen = person.wait_for(lambda s: "Plow Activate:" in s and "polling" in s, "the activation code")
        code = re.search(r"Plow Activate: ([A-Z0-9]{5})", screen).group(1)
        line = e164(re.search(r"to\s+(\+1 \(\d{3}\) \d{3}-\d{4})", screen).group(1))
        person.pause(2.0, 4.0)  # picking up the phone
        assert sandbox.sms(PHONE, line, f"Plow Activate: {code}") == "activated"
        person.wait_for(lambda s: "● live" in s and _editor_focused(s), "the chat, live, with the editor focused")

        start = time.monotonic()
        next_drop = FIRST_DROP_S
        tours = list(TOUR_AT_S)
        drops = 0
        while (elapsed := time.monotonic() - start) < SOAK_S:
            if elapsed >= next_drop:
                # Every socket drops; a text sent meanwhile still arrives (once) after the reconnect.
                assert sandbox.drop_sockets() >= 1
                drops += 1
                next_drop += DROP_EVERY_S
                text = f"while down {len(received):02d} {rng.getrandbits(32):08x}"
                assert sandbox.sms(PHONE, line, text) == "message"
                received.append(text)
                person.wait_for(lambda s, t=text: rows(s, t) >= 1 and "● live" in s, "the text sent while down")
            elif tours and elapsed >= tours[0]:
                tours.pop(0)
                person.tour_the_keys()
            else:
                text = f"text {len(received):02d} {rng.getrandbits(32):08x}"
                assert sandbox.sms(PHONE, line, text) == "message"
                received.append(text)
                person.wait_for(lambda s, t=text: rows(s, t) >= 1, f"text {len(received)} from the phone")
                if len(received) % REPLY_EVERY == 0:
                    person.pause(1.0, 2.5)  # reading it
                    reply = f"reply {len(sent):02d} {rng.getrandbits(32):08x}"
                    person.type_slowly(reply)
                    terminal.press("Enter")
                    sent.append(reply)
                    person.wait_for(lambda s, t=reply: rows(s, t) >= 1, f"reply {len(sent)} in the conversation")
            person.pause(*TEXT_EVERY_S)

        assert drops >= 3 and not tours, (drops, tours)
        assert len(received) + len(sent) + 4 < HEIGHT - 10, "the conversation no longer fits on screen to be counted"

        # Every reply reached the phone exactly once (the server's side of "once").
        def phone_has_all() -> bool:
            texts = sandbox.texts_to(PHONE)
            return all(texts.count(reply) == 1 for reply in sent)

        wait_until(phone_has_all, "the phone to get every reply once", timeout=WAIT)

        # Still running, live, and (once nothing is redrawn any more) every message on screen exactly once.
        person.wait_for(lambda s: "● live" in s and rows(s, received[-1]) == 1, "the app live at the end")
        screen = terminal.wait_still()
        assert "EXIT=" not in screen and "● live" in screen, screen
        counts = {text: rows(screen, text) for text in received + sent}
        wrong = {text: n for text, n in counts.items() if n != 1}
        assert not wrong, f"shown other than once: {wrong}\n{screen}"

        # And it still quits cleanly.
        terminal.press("C-q")
        person.terminal.wait_for(lambda s: "EXIT=0" in s, "a clean exit", timeout=WAIT)
    finally:
        terminal.close()
