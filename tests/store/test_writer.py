"""`StoreWriter`: calls run in the order asked, live messages gathered into one write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plow_tui.store.history import HistoryStore
from plow_tui.store.writer import GATHER_S, StoreWriter
from support.waits import eventually

from test_history import chat, msg


def recording(writer: StoreWriter) -> list[tuple[str, Any]]:
    """What the store is asked to do, in order (wrapping its two methods used here)."""
    calls: list[tuple[str, Any]] = []
    store = writer.store
    add, remove = store.add_messages, store.remove_chat
    store.add_messages = lambda messages: (calls.append(("add", [m.uid for m in messages])), add(messages))  # type: ignore[method-assign]
    store.remove_chat = lambda uid: (calls.append(("remove", uid)), remove(uid))  # type: ignore[method-assign]
    return calls


async def test_live_messages_are_gathered_into_one_write_in_the_order_asked() -> None:
    writer = StoreWriter(HistoryStore.open(None))
    calls = recording(writer)
    writer.submit(writer.store.save_chat, chat("cht_1"))
    writer.add_messages([msg(1)])
    writer.add_messages([msg(2), msg(3)])
    writer.submit(writer.store.remove_chat, "cht_1")  # asked after the first three: runs after them
    writer.add_messages([msg(4)])
    writer.flush()
    assert calls == [("add", ["msg_000001", "msg_000002", "msg_000003"]), ("remove", "cht_1"), ("add", ["msg_000004"])]
    assert writer.store.message_count() == 1
    writer.close()


async def test_gathered_messages_go_by_themselves_and_before_a_read(tmp_path: Path) -> None:
    path = tmp_path / "h" / "a.sqlite3"
    writer = StoreWriter(HistoryStore.open(path))
    writer.submit(writer.store.save_chat, chat("cht_1"))
    writer.add_messages([msg(1)])
    assert await writer.call(writer.store.message_count) == 1  # a read sees what was asked before it
    writer.add_messages([msg(2)])
    # Nothing asked after it: it goes by itself once GATHER_S is up.
    await eventually(lambda: writer.store.message_count() >= 2, "the gathered message written", timeout=GATHER_S + 30)
    writer.add_messages([msg(3)])
    writer.close()  # what is gathered is written before the file closes
    with HistoryStore.open(path) as reopened:
        assert reopened.message_count() == 3
