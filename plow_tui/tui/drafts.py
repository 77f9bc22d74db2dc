"""Unsent drafts on disk, so a killed process does not lose what someone was typing.

Drafts are not secrets but they are private: the file is written 0600
(atomically, through a temporary file in the same directory) under
`plow_tui.paths.state_dir()`. Drafts are kept per API base URL and chat uid,
so a sandbox's chats never mix with the live server's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "drafts.json"


def default_path() -> Path:
    from plow_tui.paths import state_dir

    return state_dir() / FILE_NAME


class DraftFile:
    """The drafts of one API base URL: `load()` once, `save()` the whole set after changes."""

    def __init__(self, api_url: str, path: Path | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.path = path or default_path()

    def _read_all(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            # An unreadable file must not stop the app: start without drafts.
            log.warning("could not read the drafts file (%s)", type(error).__name__)
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            url: {uid: text for uid, text in drafts.items() if isinstance(uid, str) and isinstance(text, str)}
            for url, drafts in data.items()
            if isinstance(url, str) and isinstance(drafts, dict)
        }

    def load(self) -> dict[str, str]:
        """chat uid -> draft text for this server."""
        return self._read_all().get(self.api_url, {})

    def save(self, drafts: dict[str, str]) -> None:
        """Replace this server's drafts with `drafts` (blank ones dropped); never raises."""
        everything = self._read_all()
        kept = {uid: text for uid, text in drafts.items() if text.strip()}
        if kept:
            everything[self.api_url] = kept
        else:
            everything.pop(self.api_url, None)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor, temporary = tempfile.mkstemp(prefix=".drafts-", dir=self.path.parent)
            try:
                os.fchmod(descriptor, 0o600)
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    json.dump(everything, handle, ensure_ascii=False)
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
                raise
        except OSError as error:
            log.warning("could not save drafts (%s)", type(error).__name__)

