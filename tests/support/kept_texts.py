"""What the app keeps on disk for a person, read beside it: drafts and unsent texts in the account's store."""

from __future__ import annotations

import sqlite3

from plow_tui.store.location import Histories


def kept(base_url: str, token: str) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """The drafts and the unsent texts ((body, state), oldest first) in the account's store, read beside the app."""
    location = Histories(base_url).location
    account = location.account_for(token)
    path = location.path(account) if account else None
    if path is None or not path.exists():
        return {}, {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # read-only: never a second writer
    try:
        drafts = dict(db.execute("SELECT chat_uid, body FROM drafts").fetchall())
        unsent: dict[str, list[tuple[str, str]]] = {}
        for chat_uid, body, state in db.execute("SELECT chat_uid, body, state FROM outbox ORDER BY id"):
            unsent.setdefault(chat_uid, []).append((body, state))
        return drafts, unsent
    finally:
        db.close()
