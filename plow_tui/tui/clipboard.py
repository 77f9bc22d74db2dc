"""Copying to the system clipboard where the terminal ignores OSC 52.

The app always sends OSC 52 (Textual's `copy_to_clipboard`); many terminals
(and tmux without `set-clipboard on`) drop it silently, so a local clipboard
command is tried too when one fits the session: `wl-copy` under Wayland,
`xclip`/`xsel` under X11, `pbcopy` on macOS. Nothing here imports textual.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence

log = logging.getLogger(__name__)

# Each candidate: the command, and the environment variable that must be set
# for it to reach a clipboard (None: always worth a try on its platform).
CANDIDATES: tuple[tuple[tuple[str, ...], str | None], ...] = (
    (("wl-copy",), "WAYLAND_DISPLAY"),
    (("xclip", "-selection", "clipboard"), "DISPLAY"),
    (("xsel", "--clipboard", "--input"), "DISPLAY"),
    (("pbcopy",), None),
)

_TIMEOUT = 3.0


def clipboard_commands(env: Mapping[str, str] | None = None) -> list[tuple[str, ...]]:
    """The candidate commands installed here whose display is available, best first."""
    env = os.environ if env is None else env
    found = []
    for command, needs in CANDIDATES:
        if command[0] == "pbcopy" and sys.platform != "darwin":
            continue
        if needs is not None and not env.get(needs):
            continue
        if shutil.which(command[0]):
            found.append(command)
    return found


def copy_with_command(text: str, commands: Sequence[Sequence[str]]) -> str | None:
    """Pipe `text` to the first command that succeeds; its name, or None. Blocks."""
    for command in commands:
        try:
            subprocess.run(
                list(command),
                input=text.encode("utf-8"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=_TIMEOUT,
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            log.info("clipboard command %s failed: %s", command[0], type(exc).__name__)
            continue
        return command[0]
    return None
