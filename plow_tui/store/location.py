"""Where each account's store lives, and which account a token belongs to.

    <state dir>/history/                      0700
        <host>-<hash of the API URL>/         0700, one per API URL
            accounts.json                     0600: token fingerprint -> account, and the current one
            <account>.sqlite3 (+ -wal, -shm)  0600: that account's HistoryStore
            unassigned.sqlite3                0600: drafts and unsent texts written before the account was known

An account is the owner's phone number (PROTOCOL §2: the phone that texted the
sign-in code *is* the account), read from the owner member that every chat
lists. Plow has no "who am I" route, so the app learns it from the first chat
list, and remembers which token it belongs to: the next start opens the store
before the network answers, and a new sign-in from the same phone finds its
history again. A fingerprint is a truncated SHA-256 of the token: it names a
token without being one.

Drafts and unsent texts are never lost for want of an account: until the
account's store is open, the app keeps them in `unassigned.sqlite3` (a
HistoryStore holding nothing else), and whenever an account's store opens it
takes them in, with this URL's part of an old `drafts.json`
(`legacy_drafts`), before the app reads its drafts. Taking them is safe to
repeat (`HistoryStore.import_unsent`), so a kill halfway loses and doubles
nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from plow_tui.client.models import Chat
from plow_tui.private_files import replace_private

log = logging.getLogger(__name__)

INDEX = "accounts.json"
SUFFIX = ".sqlite3"
UNASSIGNED = "unassigned" + SUFFIX


def history_root() -> Path:
    from plow_tui.paths import state_dir

    return state_dir() / "history"


def fingerprint(token: str) -> str:
    return hashlib.sha256(b"plow-tui history\0" + token.encode()).hexdigest()[:20]


def account_of(chats: Iterable[Chat]) -> str | None:
    """The account's name for files: the owner's phone, digits only (None if no chat shows it)."""
    for chat in chats:
        for member in chat.members:
            if member.is_owner and member.provider_key:
                digits = re.sub(r"\D", "", member.provider_key)
                if digits:
                    return digits
    return None



def write_private_json(path: Path, data: object) -> None:
    """Replace `path` with `data` as JSON, atomically, readable by its owner only (0600).

    Raises OSError; a failed write leaves the old file and no temporary behind.
    """
    replace_private(path, json.dumps(data, ensure_ascii=False))


class HistoryLocation:
    """The stores of one API URL: which file is whose, and deleting one."""

    def __init__(self, api_url: str, root: Path | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        parts = urlsplit(self.api_url)
        host = re.sub(r"[^A-Za-z0-9.-]", "_", parts.hostname or "server")
        if parts.port:
            host += f"_{parts.port}"
        digest = hashlib.sha256(self.api_url.encode()).hexdigest()[:8]
        self.directory = (root or history_root()) / f"{host}-{digest}"

    def path(self, account: str) -> Path:
        return self.directory / f"{account}{SUFFIX}"

    def _index(self) -> dict[str, object]:
        try:
            data = json.loads((self.directory / INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save_index(self, data: dict[str, object]) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.directory.parent, 0o700)
            os.chmod(self.directory, 0o700)
            write_private_json(self.directory / INDEX, data)
        except OSError as error:
            log.warning("could not save the history index (%s)", type(error).__name__)

    def account_for(self, token: str | None) -> str | None:
        """The account `token` was last seen signed in to; without a token, the last one used."""
        index = self._index()
        tokens = index.get("tokens")
        if token and isinstance(tokens, dict):
            account = tokens.get(fingerprint(token))
            if isinstance(account, str):
                return account
            return None
        current = index.get("current")
        return current if isinstance(current, str) else None

    def remember(self, token: str, account: str) -> Path:
        """`token` belongs to `account` (and it is the current one): its store's path."""
        index = self._index()
        tokens = index.get("tokens")
        tokens = dict(tokens) if isinstance(tokens, dict) else {}
        if tokens.get(fingerprint(token)) != account or index.get("current") != account:
            tokens[fingerprint(token)] = account
            self._save_index({"tokens": tokens, "current": account})
        return self.path(account)

    def forget(self, account: str) -> list[Path]:
        """Delete `account`'s store (and any copy set aside, and texts kept before an account was known); the files removed."""
        removed = []
        for candidate in sorted([*self.directory.glob(f"{account}{SUFFIX}*"), *self.directory.glob(f"{UNASSIGNED}*")]):
            with contextlib.suppress(FileNotFoundError):
                candidate.unlink()
                removed.append(candidate)
        index = self._index()
        tokens = index.get("tokens")
        tokens = {fp: a for fp, a in tokens.items() if a != account} if isinstance(tokens, dict) else {}
        current = index.get("current")
        self._save_index({"tokens": tokens, **({"current": current} if current not in (None, account) else {})})
        return removed


class Histories:
    """Opens the right account's store for the app (in memory for a sandbox run).

    `open_known(token)` answers at once from what an earlier run learnt;
    `open_for(token, chats)` learns the account from a chat list;
    `open_unassigned()` holds drafts and unsent texts until then.
    Each account store opened has taken in what waited elsewhere (see the module's docstring).
    """

    def __init__(self, api_url: str, *, root: Path | None = None, memory: bool = False, legacy_drafts: Path | None = None) -> None:
        self.location = HistoryLocation(api_url, root)
        self.memory = memory
        self._legacy_drafts = legacy_drafts  # None: drafts.json in the state directory

    def open_known(self, token: str):  # noqa: ANN201 - HistoryStore | None (imported lazily)
        if not self.memory:
            account = self.location.account_for(token)
            if account is None:
                # Not known yet: the store (and sqlite3) loads with the first chat list, after the first frame.
                return None
        from plow_tui.store.history import HistoryStore

        if self.memory:
            return HistoryStore.open(None)
        return self._adopting(HistoryStore.open(self.location.remember(token, account)))

    def open_for(self, token: str, chats: Iterable[Chat]):  # noqa: ANN201 - HistoryStore | None
        from plow_tui.store.history import HistoryStore

        account = account_of(chats)
        if account is None:
            return None
        return self._adopting(HistoryStore.open(self.location.remember(token, account)))

    def open_unassigned(self):  # noqa: ANN201 - HistoryStore
        """Where drafts and unsent texts wait while no account's store is open (in memory for a sandbox)."""
        from plow_tui.store.history import HistoryStore

        return HistoryStore.open(None if self.memory else self.location.directory / UNASSIGNED)

    def _adopting(self, store):  # noqa: ANN001, ANN202 - HistoryStore
        """`store`, after taking in the unassigned store's texts and this URL's part of drafts.json."""
        from plow_tui.store.history import HistoryStore
        from plow_tui.store.legacy_drafts import LegacyDrafts

        legacy = LegacyDrafts(self.location.api_url, self._legacy_drafts)
        drafts, unsent = legacy.load()
        if drafts or unsent:
            store.import_unsent(drafts, unsent)
            log.info("imported %d drafts and %d unsent texts from %s", len(drafts), sum(map(len, unsent.values())), legacy.path.name)
        legacy.forget()
        waiting = self.location.directory / UNASSIGNED
        if waiting.exists():
            with HistoryStore.open(waiting) as other:
                store.import_unsent(other.drafts(), other.unsent())
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{waiting}{suffix}")
        return store
