"""`drafts.json`, where plow-tui kept drafts and unsent texts before the store: read once, then emptied.

The file (0600, under `plow_tui.paths.state_dir()`) held, per API base URL
and chat uid, the editor's draft and the texts not known to be on the server
(older versions wrote a chat's draft as a bare string)::

    {"https://api.plow.co": {"cht_…": {"draft": "half a th",
                                       "unsent": [{"uid": "local-…", "body": "hello", "at": "…",
                                                   "state": "failed", "after": "msg_…"}]}}}

When an account's store opens (`Histories`), this URL's part is imported into
it (`HistoryStore.import_unsent`: repeating it adds nothing, so a kill between
the import and the removal costs nothing) and then removed from the file; the
file goes when no URL is left in it. Other URLs' parts wait for their own
store (parts of old sandbox runs, under loopback URLs with random ports, are
never opened again: they keep the file, which costs one small read per start).
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from plow_tui.store.location import write_private_json
from plow_tui.store.unsent import UNSENT_STATES, Unsent

log = logging.getLogger(__name__)

FILE_NAME = "drafts.json"


def default_path() -> Path:
    from plow_tui.paths import state_dir

    return state_dir() / FILE_NAME


def _unsent_from_json(data: Any) -> Unsent | None:
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
    # "waiting" did not exist then; anything unknown may have landed: checked, never resent blindly.
    return Unsent(uid, body, when, state if state in UNSENT_STATES else "unknown", after if isinstance(after, str) else None)


class LegacyDrafts:
    """One API URL's part of an old `drafts.json`: `load()` it, import it, then `forget()` it."""

    def __init__(self, api_url: str, path: Path | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.path = path or default_path()

    def _read_all(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            # Unreadable: nothing to import (the file is left as it is, for the person to look at).
            log.warning("could not read the old drafts file (%s)", type(error).__name__)
            return {}
        return data if isinstance(data, dict) else {}

    def load(self) -> tuple[dict[str, str], dict[str, list[Unsent]]]:
        """This URL's drafts (chat uid -> text) and unsent texts (chat uid -> oldest first)."""
        if not self.path.exists():  # the usual case, once imported: one stat, no read
            return {}, {}
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
            texts = [t for t in map(_unsent_from_json, items if isinstance(items, list) else []) if t is not None]
            if texts:
                unsent[uid] = texts
        return drafts, unsent

    def forget(self) -> None:
        """Remove this URL's part (once imported); the file goes with the last part."""
        everything = self._read_all()
        if self.api_url not in everything:
            return  # nothing of ours (or unreadable: left for the person to look at)
        del everything[self.api_url]
        try:
            if not everything:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
                return
            write_private_json(self.path, everything)
        except OSError as error:
            log.warning("could not update the old drafts file (%s)", type(error).__name__)
