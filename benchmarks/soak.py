"""A long soak of the real app (not in CI): does anything grow or spin over time?

    python benchmarks/soak.py --minutes 30      # the issue's run
    python benchmarks/soak.py --minutes 0.5     # a quick look

The app runs headless (`App.run_test`, 120x40) against a sandbox in its own
process, signed in and on the main screen with its chat open. A phone (its
own process) texts once a second; every 20 s a reply is typed key by key into
the editor and sent; every minute the sandbox drops every socket. Figures,
one JSON line each:

rss_mib, fds, tasks, timers   {"name", "start", "end", "unit", "goal", "met"}:
              resident memory (MiB), open file descriptors, asyncio tasks and
              running Textual timers, taken after the first minute of traffic
              (start: a reply typed and a socket dropped by then) and after the
              last text is shown and the socket is live again (end), each after
              a full garbage collection. Goals: RSS grows less than 10 %; the
              counts end within 2 of the start. rss_mib also gives `cold`, the
              RSS once the chat was open and before any traffic: the first
              minute fills bounded caches once (the conversation's rendered
              screens, and rich's and Textual's style caches, 1,024 entries
              each, that mouse selection's per-cell offsets fill), about 5 MiB
              that never grow again. The goal is about what keeps growing.
cpu_idle_pct  {"name", "ours", "unit", "goal", "met"}: CPU time of this process
              over wall time, in percent of one core, with the main screen
              shown and nothing happening (`--idle-seconds`). Goal < 1 %.
cpu_busy_pct  The same over the whole soak, while receiving (no goal).

A last line sums up: goals met, texts shown, lost and shown twice. The exit
status is 1 when a goal is missed or a text is lost or shown twice. The
sandbox and the phone run at a lower priority, as other machines would be.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import Texter, rss_mib, until  # noqa: E402
from run import Sandbox  # noqa: E402

SIZE = (120, 40)
TIMEOUT = 60.0  # seconds for any one thing to happen, on a busy machine
FIRST_TEXT = 1  # markers m0000001…: one per text


@dataclass
class Plan:
    minutes: float
    text_every: float = 1.0
    reply_every: float = 20.0
    drop_every: float = 60.0
    idle_seconds: float = 10.0
    warmup_seconds: float = 60.0  # traffic before `start` is taken (see rss_mib above)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def running_timers() -> int:
    """Textual timers whose task still runs, wherever they live (a removed widget's too)."""
    from textual.timer import Timer

    return sum(1 for o in gc.get_objects() if isinstance(o, Timer) and o._task is not None and not o._task.done())


def counts() -> dict[str, float]:
    gc.collect()
    return {
        "rss_mib": rss_mib(),
        "fds": open_fds(),
        "tasks": len(asyncio.all_tasks()),
        "timers": running_timers(),
    }


def cpu_seconds() -> float:
    return time.process_time()  # this process, every thread


async def busy_idle(seconds: float) -> float:
    """Percent of one core this process used while the app sat idle for `seconds`."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    await asyncio.sleep(seconds)
    return 100 * (cpu_seconds() - cpu) / (time.perf_counter() - wall)


def make_app(base_url: str, token_store: Any) -> Any:
    from plow_tui.client.http import PlowClient
    from plow_tui.tui.app import AppConfig, PlowApp

    return PlowApp(
        AppConfig(api_url=base_url, name="Ada", sandbox=True, notifications=False),
        token_store=token_store,
        client_factory=PlowClient,
        cursor_blink=False,
        animation_level="none",
    )


async def soak(plan: Plan, emit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    import httpx

    from plow_tui.client.tokens import MemoryStore, TokenStore
    from plow_tui.tui.plow.chats import ChatsScreen

    sandbox = Sandbox()
    try:
        phone = sandbox.new_phone()
        token, chat = await sandbox.sign_up(phone)
        store = TokenStore([MemoryStore()], env={})
        await store.save_token(sandbox.base_url, token)
        app = make_app(sandbox.base_url, store)
        async with app.run_test(size=SIZE) as pilot, httpx.AsyncClient(base_url=sandbox.base_url, timeout=30) as http:
            await until(lambda: isinstance(app.screen, ChatsScreen) and app.screen.chats_loaded, timeout=TIMEOUT, what="chats")
            screen = app.screen
            screen.open_chat(chat.uid, focus_editor=True)
            pane = await until(lambda: screen.pane(chat.uid), timeout=TIMEOUT, what="the pane")
            await until(lambda: pane.loaded and screen.stream_live, timeout=TIMEOUT, what="the open, live chat")
            conversation = pane.conversation
            await pilot.pause()

            cpu_idle = await busy_idle(plan.idle_seconds)
            cold = counts()
            start: dict[str, float] | None = None

            count = max(1, round(plan.minutes * 60 / plan.text_every))
            texter = Texter(sandbox.base_url, phone, chat.number)
            texts = texter.start(FIRST_TEXT, count, gap=plan.text_every)
            replies: list[str] = []
            drops = 0
            cpu, wall = cpu_seconds(), time.perf_counter()
            next_reply, next_drop = wall + plan.reply_every, wall + plan.drop_every
            while not texter.done:
                now = time.perf_counter()
                if start is None and now - wall >= min(plan.warmup_seconds, plan.minutes * 30):
                    start = counts()
                if now >= next_drop:
                    (await http.post("/sandbox/faults", json={"drop_sockets": True})).raise_for_status()
                    drops += 1
                    next_drop += plan.drop_every
                elif now >= next_reply:
                    reply = f"reply {len(replies)} at {now - wall:.0f} s"
                    for key in reply:  # typed, key by key, as a person does
                        await pilot.press("space" if key == " " else key)
                    await pilot.press("enter")
                    replies.append(reply)
                    next_reply += plan.reply_every
                await asyncio.sleep(0.2)
            texter.finish()
            if start is None:  # a run shorter than its warm-up
                start = counts()
            sent = set(texts[: texter.accepted])

            def arrived() -> bool:
                bodies = {e.body for e in conversation.entries}
                return sent <= bodies and all(r in bodies for r in replies)

            await until(arrived, timeout=TIMEOUT, what="every text and reply shown", step=0.05)
            cpu_busy = 100 * (cpu_seconds() - cpu) / (time.perf_counter() - wall)
            await until(lambda: screen.stream_live, timeout=TIMEOUT, what="the socket live at the end")
            await pilot.pause()
            end = counts()

            entries = list(conversation.entries)
            bodies = [e.body for e in entries]
            uids = [e.uid for e in entries]
            lost = len(sent - set(bodies)) + sum(1 for r in replies if r not in bodies)
            ours = sent | set(replies)
            twice = (len(uids) - len(set(uids))) + sum(1 for b in ours if bodies.count(b) > 1)
    finally:
        sandbox.stop()

    for name, unit in (("rss_mib", "MiB"), ("fds", "count"), ("tasks", "count"), ("timers", "count")):
        first, last = start[name], end[name]
        extra: dict[str, float] = {}
        if name == "rss_mib":
            goal, met = "grows < 10 %", last < first * 1.10
            extra = {"cold": round(cold[name], 1)}
        else:
            goal, met = "end within 2 of start", abs(last - first) <= 2
        figure = {"name": name, "start": round(first, 1), "end": round(last, 1), "unit": unit, "goal": goal, "met": met}
        emit({**figure, **extra})
    emit({"name": "cpu_idle_pct", "ours": round(cpu_idle, 2), "unit": "%", "goal": "< 1 % of a core", "met": cpu_idle < 1.0})
    emit({"name": "cpu_busy_pct", "ours": round(cpu_busy, 2), "unit": "%", "goal": None, "met": None})
    return {"texts": len(sent), "replies": len(replies), "drops": drops, "lost": lost, "twice": twice}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the phone keeps texting (default 30)")
    parser.add_argument("--reply-every", type=float, default=20.0, help="seconds between typed replies")
    parser.add_argument("--drop-every", type=float, default=60.0, help="seconds between socket drops")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="how long idle CPU is measured")
    args = parser.parse_args(argv)
    if args.minutes <= 0:
        parser.error("--minutes must be positive")
    plan = Plan(args.minutes, reply_every=args.reply_every, drop_every=args.drop_every, idle_seconds=args.idle_seconds)

    figures: list[dict[str, Any]] = []

    def emit(figure: dict[str, Any]) -> None:
        figures.append(figure)
        print(json.dumps(figure), flush=True)

    started = time.perf_counter()
    tally = asyncio.run(soak(plan, emit))
    missed = [f["name"] for f in figures if f["met"] is False]
    print(
        f"summary: {sum(f['met'] is True for f in figures)}/{sum(f['met'] is not None for f in figures)} goals met"
        + (f" (missed: {', '.join(missed)})" if missed else "")
        + f"; texts={tally['texts']} replies={tally['replies']} drops={tally['drops']}"
        + f" lost={tally['lost']} twice={tally['twice']}; minutes={args.minutes:g};"
        + f" {time.perf_counter() - started:.0f}s; {os.cpu_count()} CPUs; Python {platform.python_version()}",
        flush=True,
    )
    return 1 if missed or tally["lost"] or tally["twice"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
