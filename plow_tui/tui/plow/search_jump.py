"""From a search over every stored chat to the message found: the search screen, and the entries to show.

Ctrl+G opens `SearchScreen` over the local history; a chosen hit opens its
chat with everything from the hit to the newest message (read from the store),
the hit selected. `ChatsScreen` runs the read in a worker and applies
`entries_from_hit` to the pane.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from plow_tui.client.models import ChatMessage
from plow_tui.tui.plow.views import message_entry
from plow_tui.tui.widgets.view_models import Entry

if TYPE_CHECKING:
    from plow_tui.store.writer import StoreWriter
    from plow_tui.tui.plow.search import SearchScreen

SEARCH_LIMIT = 200  # hits listed for one query


def search_screen(history: StoreWriter, local_time: Callable[[datetime], datetime]) -> SearchScreen:
    """The every-chat search over `history`; it is dismissed with the chosen `(hit, query)` or None."""
    from plow_tui.tui.plow.search import SearchScreen

    async def search(query: str) -> list:  # noqa: ANN202 - list[SearchHit]
        return await history.call(history.store.search, query, limit=SEARCH_LIMIT)

    return SearchScreen(search, mode=history.store.search_mode, local_time=local_time)


async def messages_from_hit(history: StoreWriter, chat_uid: str, message_uid: str) -> list[ChatMessage]:
    """The stored messages of `chat_uid` from `message_uid` to the newest, newest first."""
    return await history.call(history.store.messages_from, chat_uid, message_uid)


def entries_from_hit(shown: Sequence[Entry], messages: Sequence[ChatMessage], now: datetime) -> list[Entry]:
    """What the pane shows after a jump: the messages from the hit (newest first) as entries, oldest first.

    Newer entries already shown (sending, or just arrived) stay after them.
    """
    entries = [message_entry(m, now) for m in reversed(messages)]
    known = {entry.uid for entry in entries}
    newest = entries[-1].at if entries else None
    later = [e for e in shown if e.uid not in known and (newest is None or e.at >= newest)]
    return entries + later
