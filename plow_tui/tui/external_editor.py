"""Compose in the person's own editor (`$VISUAL`, then `$EDITOR`), as nchat's Alt-e and profanity's /editor do.

Textual-free: it picks the command and runs it on a private temporary file. The caller
suspends the app around `edit_text` (`App.suspend`), so the editor owns the terminal.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path


def editor_command(environ: Mapping[str, str]) -> list[str] | None:
    """The editor to run, as argv: `VISUAL`, then `EDITOR` (None when neither is set).

    Like git, the value may carry arguments (`code --wait`). There is no guess at a default:
    a person who set neither is told how, rather than dropped into an editor they cannot leave.
    """
    for name in ("VISUAL", "EDITOR"):
        value = environ.get(name, "").strip()
        if value:
            try:
                argv = shlex.split(value)
            except ValueError:
                argv = value.split()
            if argv:
                return argv
    return None


def edit_text(text: str, command: list[str]) -> str | None:
    """Run `command` on a file holding `text`; the text saved there, or None if the editor failed.

    The file is 0600 in a 0700 directory of its own and removed afterwards: a draft is private.
    One trailing newline is dropped (editors add one), so an unchanged draft comes back unchanged.
    Raises OSError when the command cannot be started.
    """
    with tempfile.TemporaryDirectory(prefix="plow-tui-") as folder:
        path = Path(folder) / "message.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if subprocess.run([*command, str(path)], check=False).returncode != 0:
            return None
        edited = path.read_text(encoding="utf-8", errors="replace")
    return edited[:-1] if edited.endswith("\n") else edited
