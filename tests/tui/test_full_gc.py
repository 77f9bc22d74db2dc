"""Full garbage collections wait for a pause in the person's keys (`PlowApp._collect_garbage`)."""

from __future__ import annotations

import gc

import pytest

import plow_tui.tui.app as app_module
from app_fakes import fake_app, wait_for
from plow_tui.tui.app import FULL_GC_INTERVAL_S, GC_LONGEST_WAIT_S, GC_PAUSE_S


async def test_a_full_collection_waits_for_a_pause_in_the_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    collected: list[float] = []
    monkeypatch.setattr(app_module, "monotonic", lambda: clock[0])
    app = fake_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app._gc_threshold is not None, what="the full-GC interval")
        monkeypatch.setattr(gc, "collect", lambda *args: collected.append(clock[0]))
        clock[0] += FULL_GC_INTERVAL_S
        await pilot.press("f19")  # a key (bound to nothing), as typing would be
        app._collect_garbage()  # the interval's tick
        assert collected == [], "collected while keys were coming"
        assert app._gc_retry is not None
        clock[0] += GC_PAUSE_S
        app._gc_retry._callback()  # the pause came: its retry (Textual's timer calls it next)
        await pilot.pause()
        assert collected == [clock[0]]
        # Keys that never stop put it off only so long.
        clock[0] += FULL_GC_INTERVAL_S
        while clock[0] - collected[-1] < GC_LONGEST_WAIT_S:
            await pilot.press("f19")
            app._collect_garbage()
            clock[0] += FULL_GC_INTERVAL_S / 2
        await pilot.press("f19")
        app._collect_garbage()
        assert len(collected) == 2


async def test_with_no_keys_the_tick_collects(monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[int] = []
    app = fake_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app._gc_threshold is not None, what="the full-GC interval")
        monkeypatch.setattr(gc, "collect", lambda *args: collected.append(1))
        app._collected_at -= FULL_GC_INTERVAL_S
        app._input_at -= 2 * GC_PAUSE_S
        app._collect_garbage()
        assert collected == [1] and app._gc_retry is None
