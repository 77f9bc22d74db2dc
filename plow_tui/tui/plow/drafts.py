"""What someone wrote that the server does not have yet, on disk, so neither a crash nor a restart loses it.

Per API base URL and chat uid, two things: the draft in the editor, and the
texts that left the editor but are not known to be on the server
(`Unsent`: still sending, outcome unknown, or refused). A text moves from
the draft to the unsent list in one write, before it goes out, so a
process killed at any moment leaves it in one place or the other.

They are not secrets but they are private: the file is written 0600
(atomically, through a temporary file in the same directory) under
`plow_tui.paths.state_dir()`. A sandbox's chats never mix with the live
server's. The file looks like this (older versions wrote a chat's draft as
a bare string, which still reads)::

    {"https://api.plow.co": {"cht_…": {"draft": "half a th",
                                       "unsent": [{"uid": "local-…", "body": "hello", "at": "…",
                                                   "state": "failed", "after": "msg_…"}]}}}
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE_NAME = "drafts.json"

# What an unsent text can be: in flight (if the process died, it may have
# landed), sent with no answer, or refused by the server (it did not land).
UNSENT_STATES = ("sending", "unknown", "failed")


def default_path() -> Path:
    from plow_tui.paths import state_dir

    return state_dir() / FILE_NAME


@dataclass(frozen=True)
class Unsent:
    """A text that left the editor but is not known to be on the server.

    `uid` is the local placeholder's, `at` when it was sent (local clock),
    `after` the newest message its chat showed then: if it landed, the
    message it became is newer than that (`Outbox` checks the history).
    """

    uid: str
    body: str
    at: datetime
    state: str = "sending"
    after: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"uid": self.uid, "body": self.body, "at": self.at.isoformat(), "state": self.state, "after": self.after}

    @classmethod
    def from_json(cls, data: Any) -> Unsent | None:
        """The text saved as `data`, or None when `data` is not one (a hand-edited or damaged file)."""
        if not isinstance(data, dict):
            return None
        uid, body, at, state, after = (data.get(k) for k in ("uid", "body", "at", "state", "after"))
        if not (isinstance(uid, str) and isinstance(body, str) and body.strip() and isinstance(at, str)):
            return None
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            return None
        if when.tzinfo is None:
            return None
        return cls(
            uid,
            body,
            when,
            state if state in UNSENT_STATES else "unknown",
            after if isinstance(after, str) else None,
        )


class DraftFile:
    """The drafts and unsent texts of one API base URL: `load()` once, `save()` the whole set after changes."""

    def __init__(self, api_url: str, path: Path | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.path = path or default_path()

    def _read_all(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            # An unreadable file must not stop the app: start without drafts.
            log.warning("could not read the drafts file (%s)", type(error).__name__)
            return {}
        return data if isinstance(data, dict) else {}

    def load(self) -> tuple[dict[str, str], dict[str, list[Unsent]]]:
        """This server's drafts (chat uid -> text) and unsent texts (chat uid -> oldest first)."""
        chats = self._read_all().get(self.api_url)
        drafts: dict[str, str] = {}
        unsent: dict[str, list[Unsent]] = {}
        if not isinstance(chats, dict):
            return drafts, unsent
        for uid, saved in chats.items():
            if isinstance(saved, str):
                saved = {"draft": saved}  # written by an older version
            if not isinstance(uid, str) or not isinstance(saved, dict):
                continue
            draft = saved.get("draft")
            if isinstance(draft, str) and draft.strip():
                drafts[uid] = draft
            items = saved.get("unsent")
            texts = [t for t in map(Unsent.from_json, items if isinstance(items, list) else []) if t is not None]
            if texts:
                unsent[uid] = texts
        return drafts, unsent

    def save(self, drafts: Mapping[str, str], unsent: Mapping[str, Sequence[Unsent]] | None = None) -> None:
        """Replace this server's drafts and unsent texts (blank drafts and empty lists dropped); never raises."""
        chats: dict[str, dict[str, Any]] = {}
        for uid, text in drafts.items():
            if text.strip():
                chats.setdefault(uid, {})["draft"] = text
        for uid, texts in (unsent or {}).items():
            if texts:
                chats.setdefault(uid, {})["unsent"] = [t.to_json() for t in texts]
        everything = self._read_all()
        if chats:
            everything[self.api_url] = chats
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
