"""`plow-tui search QUERY`: the local message history, searched without the network.

Also the history's part of `logout` (`--forget`, or where the history stays)
and of `doctor` (FTS5 or a plain scan): the commands in `plow.py` call
`forget_history`, `history_note` and `search_check` from here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plow_tui.commands import ExitCode
from plow_tui.commands.running import UsageError, non_negative_int, run_command

if TYPE_CHECKING:
    from plow_tui.store.history import HistoryStore
    from plow_tui.store.location import HistoryLocation
    from plow_tui.store.search import SearchHit

# Marks a match when stdout is a terminal: reverse video, then back to normal.
_MARK_ON, _MARK_OFF = "\x1b[7m", "\x1b[27m"


def register(subparsers: Any) -> None:
    from plow_tui.commands import options

    help_text = "Search the local message history (no network needed)."
    p = subparsers.add_parser("search", help=help_text, description=help_text)
    options.add(p, *options.PLOW)
    p.add_argument("query", metavar="QUERY", help="words; each must start a word of the message (case and accents ignored)")
    p.add_argument("--chat", metavar="CHAT", help="only this chat: a uid, the start of one, a title or a number")
    p.add_argument("--limit", type=_positive_int, default=50, help="at most this many results, newest first (default 50)")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=lambda args: run_command(search, args, lambda error, args: None))


def _positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def location(args: argparse.Namespace) -> HistoryLocation:
    from plow_tui.client.urls import normalize_base_url
    from plow_tui.store.location import HistoryLocation

    try:
        return HistoryLocation(normalize_base_url(args.api_url))
    except ValueError as error:
        raise UsageError(str(error)) from None


async def _token(args: argparse.Namespace) -> str | None:
    from plow_tui.client.tokens import SecretStoreError, TokenStore

    try:
        return await TokenStore.default(force_file=args.insecure_storage).get_token(location(args).api_url)
    except SecretStoreError:
        return None  # the last account used still answers


async def account_path(args: argparse.Namespace) -> tuple[str | None, Path | None]:
    """The account whose history the command means (the token's, else the last used) and its file if any."""
    where = location(args)
    token = await _token(args)
    account = (where.account_for(token) if token else None) or where.account_for(None)
    if account is None:
        return None, None
    path = where.path(account)
    return account, path if path.exists() else None


async def search(args: argparse.Namespace) -> int:
    from plow_tui.store.history import HistoryStore
    from plow_tui.terminal_text import safe_json

    if not args.query.strip():
        raise UsageError("The query is empty.")
    _, path = await account_path(args)
    if path is None:
        if args.json:
            print("[]")
        print(f"No local history for {location(args).api_url} yet: the app keeps it as you chat.", file=sys.stderr)
        return ExitCode.OK
    with HistoryStore.open(path) as store:
        if store.notice:
            print(f"plow-tui: {store.notice}", file=sys.stderr)
        chat_uid = _chat_uid(store, args.chat)
        hits = store.search(args.query, chat_uid=chat_uid, limit=args.limit)
    if args.json:
        print(safe_json([_hit_json(hit) for hit in hits], indent=2))
        return ExitCode.OK
    if not hits:
        print("No messages match.", file=sys.stderr)
    marks = sys.stdout.isatty()
    for hit in hits:
        print(hit_line(hit, marks=marks))
    return ExitCode.OK


def _chat_uid(store: HistoryStore, wanted: str | None) -> str | None:
    """CHAT as every command names it (plow_tui.commands.naming), among the stored chats."""
    from plow_tui.commands.naming import describe, match_chats

    if wanted is None:
        return None
    found = match_chats(wanted, store.chats())
    if len(found) == 1:
        return found[0].uid
    if found:
        raise UsageError(f"{wanted!r} could be: " + "; ".join(describe(chat) for chat in found))
    raise UsageError(f"No stored chat {wanted!r}.")


def hit_line(hit: SearchHit, *, marks: bool = False) -> str:
    """`2026-11-26 10:44  Chat  author: …snippet…`, every part sanitised, matches marked on a terminal."""
    from plow_tui.commands.output import local_time
    from plow_tui.terminal_text import safe_line

    when = local_time(hit.created_at)
    pieces, at = [], 0
    for start, end in hit.spans:
        pieces.append(safe_line(hit.snippet[at:start], line_break=" ↵ "))
        matched = safe_line(hit.snippet[start:end], line_break=" ↵ ")
        pieces.append(f"{_MARK_ON}{matched}{_MARK_OFF}" if marks else matched)
        at = end
    pieces.append(safe_line(hit.snippet[at:], line_break=" ↵ "))
    return f"{when}  {safe_line(hit.chat_title)}  {safe_line(hit.author)}: {''.join(pieces)}"


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    from plow_tui.store.history import iso

    return {
        "chat_uid": hit.chat_uid,
        "chat_title": hit.chat_title,
        "message_uid": hit.message_uid,
        "created_at": iso(hit.created_at).replace(".000000Z", "Z") or None,
        "author": hit.author,
        "body": hit.body,
        "snippet": hit.snippet,
        "matches": [list(span) for span in hit.spans],
    }


# -- for logout and doctor -------------------------------------------------------------


async def forget_history(args: argparse.Namespace, token: str | None) -> str:
    """Delete the local history of the account `token` belongs to (else the last one used); one sentence."""
    where = location(args)
    account = (where.account_for(token) if token else None) or where.account_for(None)
    if account is None:
        return "There was no local message history to delete."
    removed = where.forget(account)
    if not removed:
        return "There was no local message history to delete."
    return f"Deleted the local message history ({len(removed)} file{'s' if len(removed) != 1 else ''} in {where.directory})."


async def history_note(args: argparse.Namespace, token: str | None) -> str | None:
    """Where the history stays after a plain `logout` (None when there is none)."""
    where = location(args)
    account = (where.account_for(token) if token else None) or where.account_for(None)
    if account is None or not where.path(account).exists():
        return None
    return f"Your message history stays in {where.path(account)}; `plow-tui logout --forget` deletes it."


def search_check() -> tuple[bool | None, str, str]:
    """doctor's line: how search works with this Python's SQLite."""
    import sqlite3

    from plow_tui.store.history import fts5_available

    if fts5_available():
        return True, "search", f"SQLite {sqlite3.sqlite_version} with FTS5 (indexed)"
    return None, "search", f"SQLite {sqlite3.sqlite_version} without FTS5: a plain scan (slower on long histories)"
