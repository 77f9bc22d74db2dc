"""Every callback the app hands to Textual can be called the way Textual calls it.

Textual counts a callback's parameters (`textual._callback.count_parameters`)
before calling it, and a builtin (`gc.collect`) has no `__func__`: the app's
full-GC interval raised on its first tick and closed the app 30 s into every
session. These tests drive the timers through Textual's own path instead of
waiting 30 s, and scan the source for the same trap in one-shot callbacks.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from app_fakes import fake_app, sandbox_factory, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import signed_in_chat
from textual._callback import count_parameters
from textual.timer import Timer

import plow_tui

# The methods that take a callback Textual later invokes (with `count_parameters`).
CALLBACK_TAKERS = {"set_interval", "set_timer", "call_later", "call_after_refresh", "call_next", "run_worker"}


def _timers(app: Any) -> list[Timer]:
    """Every live timer of the app, its screens and the current screen's widgets."""
    nodes = [app, *app.screen_stack, *app.screen.walk_children()]
    return [timer for node in nodes for timer in list(node._timers) if timer._callback is not None]


async def test_the_apps_own_timers_tick_through_textual_without_closing_it() -> None:
    app = fake_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app._gc_threshold is not None, what="the full-GC interval")
        own = [timer for timer in app._timers if timer._callback is not None]
        assert own, "the app sets its full-GC interval once the first screen is up"
        for timer in own:
            await timer._tick(next_timer=0.0, count=1)  # what Textual does when the interval elapses
        assert app._exception is None, app._exception
        assert app.is_running


async def test_the_app_turns_the_collector_on_after_its_first_screen() -> None:
    # `plow-tui` starts the app with the collector off (commands/app.py); the app turns it on.
    import gc

    app = fake_app()
    gc.disable()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app._gc_threshold is not None, what="the first screen's quiet GC")
            assert gc.isenabled()
    finally:
        gc.enable()


async def test_every_timer_on_the_main_screen_is_countable(sandbox_factory) -> None:
    async with signed_in_chat(sandbox_factory) as s:
        await wait_for(s.pilot, lambda: s.app._gc_threshold is not None, what="the full-GC interval")
        await s.pilot.press("h", "i")  # a draft: the save timer runs
        timers = _timers(s.app)
        assert len(timers) >= 3
        for timer in timers:
            count_parameters(timer._callback)  # raises for builtins and C methods


def _module_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    return names


def test_no_callback_handed_to_textual_is_a_module_function() -> None:
    """`gc.collect`, `time.sleep`, `os.sync`…: module functions are builtins more often than not."""
    found = []
    for path in sorted(Path(plow_tui.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = _module_names(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in CALLBACK_TAKERS:
                continue
            for arg in node.args:
                if isinstance(arg, ast.Call) and ast.unparse(arg.func).endswith("partial") and arg.args:
                    arg = arg.args[0]  # functools.partial(gc.collect, 2) is the same trap
                if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) and arg.value.id in modules:
                    found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "pass a function of our own (Textual cannot count a builtin's parameters):\n" + "\n".join(found)
