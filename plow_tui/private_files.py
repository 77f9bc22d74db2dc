"""Private files: replaced whole and atomically, readable by their owner only.

The one rule for every file plow-tui writes that holds a person's data or
secrets, or that it reads back trusting its content (the secrets file, the
store's index of accounts, the sandbox's saved world, the parsed
stylesheets): the new content goes into a temporary beside the target that
is 0600 from the moment it exists (`mkstemp`, so never readable by others,
not even for an instant), is flushed to disk, and is renamed over the target.
A crash leaves the old file or the new one, never half of one, and a failed
write leaves no temporary behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def replace_private(path: Path, content: str | bytes) -> None:
    """Replace `path` with `content` (text as UTF-8), atomically, mode 0600. Raises OSError."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # the rename must not land before the bytes do
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
