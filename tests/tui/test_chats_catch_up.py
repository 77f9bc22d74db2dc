"""The main screen's catch-ups: a notice when one skipped older messages; the GC held until one is shown."""

from __future__ import annotations

import asyncio
import gc

from app_fakes import sandbox_factory, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import chats_app, fault, main_screen, new_phone, sign_up, signed_in_chat, sms

from plow_tui.client import events as ev
from plow_tui.tui.plow.chat_feed import ChatFeed


async def test_a_skipped_catch_up_is_shown_as_a_notice(sandbox_factory) -> None:
    base = sandbox_factory().base_url
    token, chat = await sign_up(base, new_phone())
    app = await chats_app(base, token)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        screen.query_one(ChatFeed).post_message(ChatFeed.Event(ev.MessagesSkipped(chat.uid)))
        await wait_for(
            pilot,
            # A toast wraps on screen: read it from the app's notifications.
            lambda: any("older messages were not loaded" in note.message for note in app._notifications),
            what="the skipped-messages notice",
        )


async def test_a_catch_up_holds_the_gc_until_its_batch_is_painted(sandbox_factory) -> None:
    async with signed_in_chat(sandbox_factory) as s:
        await wait_for(s.pilot, lambda: s.screen.stream_live, what="the live stream")
        await wait_for(s.pilot, gc.isenabled, what="the first catch-up's hold released")
        # The reconnect waits for its ticket while a text arrives: only the catch-up brings it.
        gate = asyncio.Event()
        waiting: list[str | None] = []
        api = s.screen.api
        real_ticket = api.ws_ticket

        async def held_ticket(chat_uid: str | None) -> str:
            waiting.append(chat_uid)
            await gate.wait()
            return await real_ticket(chat_uid)

        api.ws_ticket = held_ticket
        seen: list[tuple[str, bool]] = []  # (what happened, whether the GC was on), in order
        conversation = s.pane.conversation
        real_add, real_render, real_release = conversation.add_entries, conversation.render_lines, s.app.release_gc

        def add_entries(batch):
            batch = list(batch)
            if any(entry.body == "while away" for entry in batch):
                seen.append(("shown", gc.isenabled()))
            real_add(batch)

        def render_lines(crop):
            if seen and seen[-1][0] == "shown":
                seen.append(("painted", gc.isenabled()))
            return real_render(crop)

        def release_gc() -> None:
            if seen:
                seen.append(("released", gc.isenabled()))
            real_release()

        conversation.add_entries, conversation.render_lines, s.app.release_gc = add_entries, render_lines, release_gc
        await fault(s.base, drop_sockets=True)
        await wait_for(s.pilot, lambda: waiting, what="the reconnect waiting for its ticket")
        await sms(s.base, s.phone, s.chat.number, "while away")
        gate.set()
        await wait_for(s.pilot, lambda: any(what == "released" for what, _ in seen), what="the hold released")
        assert seen[:3] == [("shown", False), ("painted", False), ("released", False)]
        assert gc.isenabled()


async def test_a_gc_hold_ends_by_itself_and_keeps_full_collections_waiting(sandbox_factory, monkeypatch) -> None:
    from plow_tui.tui import app as app_module

    async with signed_in_chat(sandbox_factory) as s:
        await wait_for(s.pilot, gc.isenabled, what="the first catch-up's hold released")
        collections: list[int] = []

        def count(phase: str, info: dict) -> None:
            if phase == "start":
                collections.append(info["generation"])

        monkeypatch.setattr(app_module, "GC_HOLD_MAX_S", 0.2)
        gc.callbacks.append(count)
        try:
            s.app.hold_gc()
            assert not gc.isenabled()
            s.app._collect_garbage()  # the timer's full collection: not while a catch-up is on its way
            assert collections == []
            await wait_for(s.pilot, gc.isenabled, what="the hold's time limit")  # a catch-up that never ended
        finally:
            gc.callbacks.remove(count)
        gc.disable()  # a hold never turns on a GC that was off
        try:
            s.app.hold_gc()
            s.app.release_gc()
            assert not gc.isenabled()
        finally:
            gc.enable()
