"""Search in the app, against a real sandbox: `/` in a conversation, Ctrl+G across every stored chat."""

from __future__ import annotations

from pathlib import Path

from app_fakes import sandbox_factory, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import main_screen, signed_up, sms
from test_history_app import bodies, history_app

from plow_tui.store.location import Histories
from plow_tui.tui.plow.search import SearchScreen
from plow_tui.tui.widgets.chat_list import ChatList


async def test_find_in_a_chat_and_search_every_chat(sandbox_factory, tmp_path: Path) -> None:
    account = await signed_up(sandbox_factory)
    chat_uid = account.chat.uid
    texts = ["Dinner on Monday?", "no idea", "dinner at eight", "see you"]
    app = await history_app(account.base, account.token, Histories(account.base, root=tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        screen.open_chat(chat_uid)
        await wait_for(pilot, lambda: screen.stream_live, what="the live stream")
        for text in texts:
            await sms(account.base, account.phone, account.chat.number, text)
        await wait_for(pilot, lambda: bodies(screen, chat_uid) == texts, what="the texts")
        pane = screen.pane(chat_uid)
        uids = [e.uid for e in pane.conversation.entries]

        # `/` in the chat list filters chats; in the messages it searches them.
        pane.conversation.focus()
        await pilot.press("slash")
        await wait_for(pilot, lambda: pane.find_bar.is_open, what="the find bar")
        assert not screen.query("#filter")  # the chat filter stays closed (its box is made when first opened)
        await pilot.press(*"dinn", "enter")
        assert pane.conversation.matches() == [uids[0], uids[2]] and pane.conversation.selected_uid == uids[2]
        await pilot.press("N")
        assert pane.conversation.selected_uid == uids[0]
        await pilot.press("escape")
        assert not pane.find_bar.is_open and pane.conversation.find_words == []
        screen.query_one(ChatList).focus()
        await pilot.press("slash")
        assert screen.query_one("#filter").display  # the chat filter, as before
        await pilot.press("escape")

        # Ctrl+G: every stored chat; Enter opens the chat at the message.
        pane.conversation.select(uids[-1])
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), what="the search")
        search: SearchScreen = app.screen
        await pilot.press(*"monday")
        await wait_for(pilot, lambda: [h.message_uid for h in search.hits] == [uids[0]], what="the hit")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, what="back on the chats")
        await wait_for(pilot, lambda: pane.conversation.selected_uid == uids[0], what="the hit selected")
        assert pane.find_bar.is_open and pane.conversation.find_words == ["monday"]
        assert bodies(screen, chat_uid) == texts  # nothing lost or doubled


async def test_without_a_store_ctrl_g_says_why_instead_of_doing_nothing(sandbox_factory, tmp_path: Path) -> None:
    """A state directory that cannot hold the history (here a file where the folder goes): the chats
    still come from the server, the person is told once, and Ctrl+G repeats why rather than staying silent."""
    account = await signed_up(sandbox_factory)
    blocked = tmp_path / "history"
    blocked.write_text("not a folder")
    app = await history_app(account.base, account.token, Histories(account.base, root=blocked))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        await wait_for(pilot, lambda: account.chat.uid in screen.book.chats, what="the chats from the server")

        def warned() -> list[str]:
            return [n.message for n in app._notifications if "No local history" in n.message]

        await wait_for(pilot, lambda: len(warned()) == 1, what="one notice that there is no history")
        screen.query_one(ChatList).focus()
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: len(warned()) == 2, what="Ctrl+G saying why")
        assert not isinstance(app.screen, SearchScreen)
