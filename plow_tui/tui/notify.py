"""Telling a person who looks elsewhere: the bell, or a desktop notification through the terminal.

The `notifications` setting says how (`off`, `bell`, `desktop`). The rules live here, Textual-free:

- only while the terminal is unfocused (`focused` reads Textual's `app_focus`, which AppBlur/AppFocus set);
- at most one notice per `COOLDOWN` seconds for messages, and one for the connection (offline, then back);
- `desktop` writes OSC 777 or OSC 9 where the terminal is known to show them, and rings the bell
  elsewhere (an unknown terminal would print nothing or, worse, the payload);
- what is shown is the sender and the start of the text, redacted and made terminal-safe by the one
  sanitiser (terminal_text), then stripped of anything that could end the sequence early (`;`, which
  separates OSC fields, becomes `,`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Literal

from plow_tui.logs import redact
from plow_tui.terminal_text import safe_line

Mode = Literal["off", "bell", "desktop"]
Protocol = Literal["osc777", "osc9"]

COOLDOWN = 20.0  # seconds between two notices of one kind: a burst of texts is one nudge
TEXT_START = 80  # characters of the message shown
TITLE = "plow-tui"
_ESC, _BEL, _ST = "\x1b", "\x07", "\x1b\\"


def mode_of(value: str | bool) -> Mode:
    """The setting's value as a mode; True/False (older callers' bell on/off) are `bell`/`off`."""
    if isinstance(value, bool):
        return "bell" if value else "off"
    return value if value in ("off", "bell", "desktop") else "bell"  # type: ignore[return-value]


def desktop_protocol(environ: Mapping[str, str]) -> Protocol | None:
    """The notification escape this terminal shows, from what it puts in the environment (None: unknown).

    Inside tmux or screen, TERM_PROGRAM names the multiplexer, which would swallow or mangle the
    sequence: those get the bell (tmux forwards it to the outer terminal). Windows Terminal
    (WT_SESSION) reads OSC 9 as ConEmu's family of commands (9;4 progress, 9;9 directory) and shows
    no notification for it: it gets the bell too, named here so the choice is visible.
    """
    program = environ.get("TERM_PROGRAM", "")
    term = environ.get("TERM", "")
    if environ.get("TMUX") or program == "tmux" or term.startswith(("screen", "tmux")) or environ.get("WT_SESSION"):
        return None
    if program == "WezTerm" or environ.get("WEZTERM_PANE") or program == "ghostty" or term.startswith("foot"):
        return "osc777"
    if program == "iTerm.app" or environ.get("KITTY_WINDOW_ID") or term == "xterm-kitty":
        return "osc9"
    return None


def _field(text: str, limit: int) -> str:
    """`text` fit for one OSC field: secrets redacted, controls made visible, no field separator or terminator."""
    shown = safe_line(redact(text)).strip()
    if len(shown) > limit:
        shown = shown[: limit - 1].rstrip() + "…"
    # safe_line already shows ESC, BEL and C1 (ST is U+009C) as visible stand-ins; this makes sure.
    return "".join("," if c == ";" else c for c in shown if c not in (_ESC, _BEL) and not 0x80 <= ord(c) <= 0x9F)


def desktop_sequence(protocol: Protocol, title: str, body: str) -> str:
    """The escape sequence for a notification with `title` and `body` (both passed through `_field`)."""
    title, body = _field(title, 60), _field(body, TEXT_START + 40)
    if protocol == "osc777":
        return f"{_ESC}]777;notify;{title};{body}{_ST}"
    return f"{_ESC}]9;{title}: {body}{_ST}"


class Notifier:
    """Decides whether and how to tell an unfocused person about a message or the connection.

    `write` puts an escape sequence on the terminal, `bell` rings it and `focused` says whether the
    terminal has the person's attention; all three are the app's. The clock is injectable for tests.
    """

    def __init__(
        self,
        mode: Mode,
        protocol: Protocol | None,
        *,
        write: Callable[[str], None],
        bell: Callable[[], None],
        focused: Callable[[], bool],
        clock: Callable[[], float] = time.monotonic,
        cooldown: float = COOLDOWN,
    ) -> None:
        self.mode = mode
        self.protocol = protocol
        self._focused = focused
        self._write = write
        self._bell = bell
        self._clock = clock
        self._cooldown = cooldown
        self._last: dict[str, float] = {}
        self._said_offline = False

    def message(self, sender: str, text: str) -> bool:
        """A message arrived from `sender`; True if the person was told."""
        return self._tell("message", sender, _field(text, TEXT_START))

    def offline(self) -> bool:
        """The connection to the server was lost."""
        told = self._tell("connection", "Offline", "Lost the connection to the server; retrying.")
        self._said_offline = self._said_offline or told
        return told

    def online(self) -> bool:
        """The connection is back; said only after an offline notice (never at start-up)."""
        if not self._said_offline:
            return False
        self._said_offline = False
        # Not held back by the offline notice's cooldown: "back" is the news the person waits for.
        self._last.pop("connection", None)
        return self._tell("connection", "Back online", "Connected to the server again.")

    def _tell(self, kind: str, title: str, body: str) -> bool:
        if self.mode == "off" or self._focused():
            return False
        now = self._clock()
        last = self._last.get(kind)
        if last is not None and now - last < self._cooldown:
            return False
        self._last[kind] = now
        if self.mode == "desktop" and self.protocol is not None:
            self._write(desktop_sequence(self.protocol, title, body))
        else:
            self._bell()
        return True
