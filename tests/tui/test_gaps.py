"""A catch-up cut short leaves a gap in the local history: shown where it is, filled from the server when scrolled up to.

Against a real sandbox: the app keeps a chat's first messages, is closed,
the phone texts many more, and the app comes back with a small catch-up cap
(injected, `ChatStream(catch_up_messages=…)`), so only the newest arrive.
"""

from __future__ import annotations

from pathlib import Path

from app_fakes import sandbox_factory, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import history, numbered_texts, signed_up, sms
from test_history_app import bodies, history_app, main_screen

from plow_tui.store.location import Histories
from plow_tui.tui.plow.views import GAP_PREFIX, GAP_TEXT

CAP = {"catch_up_messages": 20, "page_size": 10}


async def test_a_cut_catch_up_shows_a_gap_line_and_scrolling_up_fills_it_from_the_server(
    sandbox_factory, tmp_path: Path
) -> None:
    account = await signed_up(sandbox_factory, delivery_delay_ms=10)
    chat = account.chat
    for n in range(3):
        await sms(account.base, account.phone, chat.number, f"before {n}")
    histories = Histories(account.base, root=tmp_path / "history")
    first = await history_app(account.base, account.token, histories)
    async with first.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        screen.open_chat(chat.uid)
        await wait_for(pilot, lambda: bodies(screen, chat.uid) == ["before 0", "before 1", "before 2"], what="stored")

    await numbered_texts(account, 60)  # while the app is closed: more than one catch-up takes

    again = await history_app(account.base, account.token, histories, stream_options=CAP)
    async with again.run_test(size=(100, 20)) as pilot:  # the newest 20 do not fit: the gap line is out of view
        screen = await main_screen(pilot)
        newest = [f"message {n:03d}" for n in range(40, 60)]
        # The chat reopens from the store, then the cut catch-up lands: a gap line above the newest 20.
        await wait_for(pilot, lambda: bodies(screen, chat.uid) == [GAP_TEXT, *newest], timeout=30, what="the gap line")
        pane = screen.pane(chat.uid)
        gap = pane.conversation.entries[0]
        assert gap.uid == GAP_PREFIX + pane.conversation.entries[1].uid
        assert screen.history.writer is not None
        screen.history.writer.flush()
        assert screen.history.writer.store.gaps(chat.uid) == {pane.conversation.entries[1].uid}
        # Paging up from the store alone would have jumped from "message 040" to "before 2".
        on_server = [m.body for m in await history(account.base, account.token, chat.uid)]
        assert on_server == ["before 0", "before 1", "before 2", *(f"message {n:03d}" for n in range(60))]
        pane.conversation.focus()
        for _ in range(6):  # each Home loads what is above: the gap's messages, then the stored ones
            if bodies(screen, chat.uid) == on_server:
                break
            top = pane.conversation.entries[0].uid
            await pilot.press("home")
            await wait_for(
                pilot,
                lambda: bodies(screen, chat.uid) == on_server or pane.conversation.entries[0].uid != top,
                timeout=30, what="more loaded above",
            )
        assert bodies(screen, chat.uid) == on_server  # the gap filled, in order, each once
        screen.history.writer.flush()
        assert screen.history.writer.store.gaps(chat.uid) == set()
        assert [m.body for m in reversed(screen.history.writer.store.messages(chat.uid, limit=100))] == on_server
