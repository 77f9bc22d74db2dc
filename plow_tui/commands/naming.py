"""Naming a chat on the command line: by uid, a unique uid prefix, its title or its number.

`plow-tui send Ada "hi"`, `send +15550000001 hi`, `history cht_ZGr`: every
command that takes CHAT resolves it here, the same way. Matches are tried in
tiers, and the first tier with any match decides: the exact uid; then the exact
title (case-insensitive) or number (digits compared, a missing leading 1
tolerated); then a uid prefix, then a title prefix. Two matches in that tier
are ambiguous: exit 2, listing the candidates. A full uid is used as given,
without listing chats first (one request saved), and so is any `cht_` name
that matches no listed chat: a failed chat, which the server does not list,
can still be named, and the server says whether it exists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from plow_tui.commands.running import UsageError
from plow_tui.terminal_text import safe_line

if TYPE_CHECKING:
    from plow_tui.client.http import PlowClient
    from plow_tui.client.models import Chat

# The sandbox's and the live server's chat uids: `cht_` and 20 more characters.
_FULL_UID = re.compile(r"^cht_[A-Za-z0-9]{20,}$")
_PHONE = re.compile(r"^\+?[\d\s().-]{7,}$")


CHAT_HELP = "the chat: its uid, the start of its uid, its title or its number"


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _same_number(name: str, number: str | None) -> bool:
    if not number or not _PHONE.match(name):
        return False
    want, have = _digits(name), _digits(number)
    return bool(want) and (want == have or "1" + want == have)


def match_chats(name: str, chats: Sequence[Chat]) -> list[Chat]:
    """The chats `name` could mean, from the first tier that has any (see the module docstring)."""
    name = name.strip()
    folded = name.casefold()
    tiers = (
        lambda c: c.uid == name,
        lambda c: c.title.casefold() == folded or _same_number(name, c.number),
        lambda c: c.uid.startswith(name) and len(name) >= 4,
        lambda c: c.title.casefold().startswith(folded),
    )
    for tier in tiers:
        found = [chat for chat in chats if tier(chat)]
        if found:
            return found
    return []


def describe(chat: Chat) -> str:
    return f"{chat.uid} ({safe_line(chat.title)}, {chat.status or '?'}, {safe_line(chat.number or '-')})"


async def resolve_chat(api: PlowClient, name: str) -> str:
    """The uid of the chat `name` means; UsageError when it means several, NotFound when none."""
    from plow_tui.client.errors import NotFound

    if _FULL_UID.match(name):
        return name
    if not name.strip():
        raise UsageError("No chat named: give a uid, its start, a title or a number.")
    found = match_chats(name, await api.chats())
    if len(found) == 1:
        return found[0].uid
    if not found and name.startswith("cht_"):
        return name
    if not found:
        raise NotFound(f"No chat is named {safe_line(name)!r} (by uid, title or number); `plow-tui chats` lists them.", status=404)
    listed = "; ".join(describe(chat) for chat in found[:10])
    more = f"; and {len(found) - 10} more" if len(found) > 10 else ""
    raise UsageError(f"{safe_line(name)!r} could mean {len(found)} chats: {listed}{more}. Name one by its uid.")
