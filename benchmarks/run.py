"""plow-tui benchmark suite (issues #8 and #19).

    python benchmarks/run.py            # every figure at the issues' sizes (~3 min on 2 cores)
    python benchmarks/run.py --quick    # smaller sizes and fewer samples (~15 s)
    python benchmarks/run.py --only open,startup

Prints one JSON object per figure, then a one-line summary; exits 1 if a judged
goal is missed:

    {"name": ..., "ours": v, "baseline": v, "ratio": ours/baseline, "unit": "s"|"ms"|"MiB"|"msg/s"|"%",
     "goal": "...", "met": true|false|null, ...}

Baselines run in the same run as ours, interleaved with them where there are
rounds, so ratios hold on a noisy machine. Apps run headless with
`run_test(size=(120, 40))`, except the whole-process figures (startup,
cli_chats, cli_send, idle_cpu), which start real processes on a pty or a file.
`--quick` shrinks some sizes below the issues' (open_10k's baseline, the
burst, the backfill, idle_cpu's window): those figures are printed with
`"met": null` and a note, never judged. `--tiny` (the smoke test) judges
nothing.

Topology: the measured app runs in this process (or its own, for the
whole-process figures). The sandbox
(`sandbox_process.py`) and the texting phones (`phone.py`) run in their own
processes at lower CPU priority (nice 10): in real use the server and the
phones are other machines, and sharing this process's GIL (or its CPU time)
with them would add their pauses to every figure of the app.

What each figure measures
-------------------------
"Painted" always means: the text reached a compositor update handed to
`App._display` (what Textual writes to the terminal), detected by
`harness.PaintProbe`, which renders each update to its terminal bytes (the
work a real terminal run does) and looks for the markers (`m` + 7 digits)
every message body carries. Ours and the baselines go through the same probe.

open_10k      Mount a `Conversation` holding 10,000 entries in a running app →
              the newest entry painted (s). Baseline: the naive equivalent, a
              `VerticalScroll` of 10,000 `Static`s anchored to the bottom, same
              entries, same end point. Ours is the median of 5 runs (alternating
              with open_100k's), the Statics one run. Goal ratio <= 0.05.
open_100k     The same with 100,000 entries; baseline: ours at 10,000. Goal ratio <= 1.5.
append_at_10k_p50 / _p99
              The real app (PlowApp → ChatsScreen → ChatPane) against the
              sandbox over loopback, chat open and the live stream connected,
              holding 10,000 entries (the newest page from the server plus
              older ones put in with `prepend_older`). The member's phone texts
              the line via `/sandbox/sms`, 100 texts 30 ms apart; latency = text
              painted − the moment its request left the phone (so it includes the
              sandbox's handling and the socket). Baseline: the same with 10
              entries. Goal ratio <= 1.5 and p99 < 50 ms.
burst_keys_p99
              1,000 texts sent as fast as the sandbox takes them (4 connections)
              while a key is typed into the editor every 20 ms; keypress (key
              event posted to the driver) → the typed text painted. Baseline:
              the same keys with no traffic. 3 rounds of idle keys then a burst,
              samples pooled. Goal ratio <= 2.
burst_shown   Messages per second from the first text sent to all 1,000 being in
              the conversation, vs the rate the sandbox accepted them (median of
              the rounds). "lost" counts texts the sandbox accepted that never
              reached the conversation, "duplicates" uids shown twice,
              "newest_painted" that the newest reached the screen. Goal: 0, 0, true.
chat_list_1k  Mount a `ChatList` of 1,000 chats → its top row painted, vs 10 chats;
              medians of 5 alternating runs. Goal ratio <= 3.
startup       `plow-tui --api-url <sandbox>` (the installed script, as a person
              runs it) with `PLOW_TOKEN` set, under a pseudo-terminal of 120x40 →
              the first output holding the main screen (its "Chats" sidebar
              title); baseline: a bare Textual hello-world
              (`benchmarks/hello_app.py`) under the same pty → its text in the
              output. Each process is killed at that point; one uncounted run of
              each first (bytecode caches), then the median of 9 alternating
              runs. Goal ratio <= 1.25. `chat_row_s` adds the time until the chat
              list shows the chat fetched from the sandbox.
cli_chats / cli_send
              `plow-tui chats` and `plow-tui send CHAT TEXT` as whole processes,
              start to exit (`PLOW_TOKEN` set, output to a file); baseline:
              `benchmarks/bare_httpx.py`, the same GET or POST in a short script
              with httpx's synchronous API. One uncounted run of each, then 11
              rounds of A/B/A/B; medians of wall time. Goal ratio <= 1.15.
              `cpu_ratio` compares the processes' own CPU time (user + system).
idle_cpu      The app on its main screen (20 active chats, none open) under a
              pty, doing nothing: the CPU its threads used over 30 s
              (/proc/PID/task/*/schedstat), after 3 s to settle, as % of one
              core. Baseline: the bare Textual hello-world over the same window,
              running beside it. Goal: ours < 0.5 %. --quick watches 10 s (not
              judged).
memory_100k   In a fresh child process: RSS (from /proc/self/statm, after
              gc.collect()) once the app runs, then after creating 100,000
              entries and mounting + painting a Conversation holding them; the
              difference. Baseline: the same with an empty Conversation. Goal:
              ours − baseline < 200 MiB.
backfill_5k   The real app with its chat open and live; the sockets are dropped
              and the client's next `ws_ticket` call is held (the network is
              "down") while the phone sends 5,000 texts. Then the ticket is let
              through: time from then to all 5,000 in the conversation and the
              newest painted. Baseline: bare httpx (a client already open)
              fetching the same 5,000 messages (pages of 100, newest first, JSON
              decoded) in this process. Median of 5 rounds, each followed by its
              baseline. Goal ratio <= 1.25.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import (  # noqa: E402
    PaintProbe,
    nicer,
    ProbeMixin,
    Texter,
    first_paint_of,
    marker,
    percentile,
    rss_mib,
    until,
)

SIZE = (120, 40)
NOW = datetime(2026, 9, 14, 12, 0, tzinfo=timezone.utc)
# The sidebar title: in the main screen's first frame, before any data arrives.
MAIN_SCREEN_TEXT = "Chats"
WORDS = "the quick brown fox jumps over a lazy dog while plow texts arrive".split()


@dataclass(frozen=True)
class Sizes:
    """How big each measurement is in one mode."""

    open_n: int = 10_000
    open_big: int = 100_000
    open_baseline_n: int = 10_000
    open_runs: int = 5
    append_shown: int = 10_000
    append_small: int = 10
    append_samples: int = 100
    burst: int = 1_000
    burst_rounds: int = 3
    keys_idle: int = 30
    chats: int = 1_000
    chats_small: int = 10
    startup_runs: int = 9
    cli_runs: int = 11
    idle_chats: int = 20
    idle_settle: float = 3.0
    idle_window: float = 30.0
    memory_n: int = 100_000
    backfill: int = 5_000
    backfill_rounds: int = 5
    timeout: float = 120.0


MODES = {
    "full": Sizes(),
    "quick": Sizes(open_baseline_n=1_000, append_samples=30, burst=300, burst_rounds=1, keys_idle=30, startup_runs=3, backfill=1_000,
                   backfill_rounds=1, cli_runs=5, idle_settle=2.0, idle_window=10.0),
    # Only proves the suite runs (the smoke test): the figures mean nothing.
    "tiny": Sizes(
        open_n=300, open_big=3_000, open_baseline_n=30, open_runs=1, append_shown=300, append_small=5, append_samples=3,
        burst=20, burst_rounds=1, keys_idle=3, chats=30, chats_small=3, startup_runs=1, memory_n=2_000, backfill=30, backfill_rounds=1, timeout=60.0,
        cli_runs=1, idle_chats=3, idle_settle=0.5, idle_window=2.0,
    ),
}


@dataclass
class Result:
    name: str
    ours: float
    baseline: float
    unit: str
    goal: str
    met: bool | None  # None: not judged (sizes smaller than the in this mode)
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        ratio = self.ours / self.baseline if self.baseline else float("inf")
        record = {
            "name": self.name,
            "ours": _figure(self.ours),
            "baseline": _figure(self.baseline),
            "ratio": _figure(ratio),
            "unit": self.unit,
            "goal": self.goal,
            "met": self.met,
            **self.extra,
        }
        return json.dumps(record, ensure_ascii=False)


def _figure(value: float) -> float:
    """Five significant digits: enough for any of these figures, short to read."""
    return float(f"{value:.5g}")


# --------------------------------------------------------------------------- fixtures


def entries(count: int, *, first: int = 0, newest_at: datetime = NOW) -> list[Any]:
    """`count` entries, oldest first, a minute apart; bodies of 1-12 words (some wrap)."""
    from plow_tui.tui.widgets.view_models import Entry

    made = []
    for i in range(count):
        n = first + i
        words = " ".join(WORDS[: 1 + n % 12] * (1 + (n % 5 == 0) * 3))
        made.append(
            Entry(
                uid=f"msg_bench{n}",
                author="Sarah" if n % 3 else "you",
                body=f"{marker(n)} {words}",
                at=newest_at - timedelta(minutes=count - i),
                outbound=n % 3 == 0,
                state="delivered" if n % 3 == 0 else None,
            )
        )
    return made


def probed_app(compose_nothing: bool = True) -> Any:
    """A bare Textual app (120x40) whose screen updates go through the paint probe."""
    from textual.app import App

    class BenchApp(ProbeMixin, App[None]):
        def __init__(self) -> None:
            super().__init__()
            self.probe = PaintProbe()

    return BenchApp()


async def time_first_paint(make: Callable[[], Any], newest: str, timeout: float) -> float:
    """Mount what `make()` builds in a running app; seconds until `newest` is painted."""
    app = probed_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        gc.collect()
        start = time.perf_counter()
        widget = make()
        await app.mount(widget)
        painted = await first_paint_of(app, newest, timeout=timeout)
        return painted - start


# --------------------------------------------------------------------------- 1. open


async def bench_open(sizes: Sizes) -> list[Result]:
    from textual.containers import VerticalScroll
    from textual.widgets import Static

    from plow_tui.tui.widgets.conversation import Conversation

    def conversation(n: int) -> tuple[Callable[[], Any], str]:
        data = entries(n)
        return (lambda: Conversation(data, clock=lambda: NOW)), marker(n - 1)

    def statics(n: int) -> tuple[Callable[[], Any], str]:
        data = entries(n)

        def make() -> Any:
            # The naive version: one Static per message, stuck to the bottom.
            scroll = VerticalScroll(
                *(Static(f"{e.at:%H:%M}  {e.author}  {e.body}", markup=False) for e in data)
            )
            scroll.anchor()
            return scroll

        return make, marker(n - 1)

    # Ours takes tens of milliseconds, so one stray pause would decide it: the
    # median of several alternating runs. The Statics take seconds: one run.
    ours_runs, big_runs = [], []
    for _ in range(sizes.open_runs):
        ours_runs.append(await time_first_paint(*conversation(sizes.open_n), sizes.timeout))
        big_runs.append(await time_first_paint(*conversation(sizes.open_big), sizes.timeout))
    baseline = await time_first_paint(*statics(sizes.open_baseline_n), sizes.timeout * 3)
    ours, big = median(ours_runs), median(big_runs)
    extra: dict[str, Any] = {"messages": sizes.open_n, "runs": len(ours_runs)}
    if sizes.open_baseline_n != sizes.open_n:
        extra["note"] = f"baseline has only {sizes.open_baseline_n:,} Statics in this mode"
    return [
        Result("open_10k", ours, baseline, "s", "ratio <= 0.05", ours / baseline <= 0.05, extra),
        Result(
            "open_100k", big, ours, "s", "ratio to open_10k <= 1.5", big / ours <= 1.5,
            {"messages": sizes.open_big, "runs": len(big_runs)},
        ),
    ]


# --------------------------------------------------------------------------- the real app against a sandbox


class Sandbox:
    """One sandbox process for the run; each measurement signs up its own account and phone."""

    def __init__(self) -> None:
        import subprocess

        script = Path(__file__).resolve().parent / "sandbox_process.py"
        self._process = subprocess.Popen(
            [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=nicer
        )
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self.stop()
            raise RuntimeError("the sandbox process did not start")
        self._phones = 0

    def new_phone(self) -> str:
        self._phones += 1
        return f"+1555777{self._phones:04d}"

    async def sign_up(self, phone: str, name: str = "Ada") -> tuple[str, Any]:
        """Activate by texting from `phone`, with a provisioned 1:1 chat: (token, chat)."""
        from plow_tui.client.http import PlowClient

        async with PlowClient(self.base_url) as api:
            start = await api.activate(name=name, provision_chat=True)
            Texter(self.base_url, phone, start.send_to).send_raw(start.text)
            result = await api.redeem(start.activation_secret)
        assert result.token and result.chat is not None, "sign-up failed"
        return result.token, result.chat

    def stop(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)


def gated_client_factory(gate: asyncio.Event, waiting: list[int]) -> Callable[..., Any]:
    """PlowClients whose `ws_ticket` waits for `gate`: holding it keeps the live socket down."""
    from plow_tui.client.http import PlowClient

    class GatedClient(PlowClient):
        async def ws_ticket(self, chat_uid: str | None) -> str:
            waiting[0] += 1
            try:
                await gate.wait()
            finally:
                waiting[0] -= 1
            return await super().ws_ticket(chat_uid)

    return GatedClient


async def running_app(sandbox: Sandbox, token: str, client_factory: Callable[..., Any] | None = None) -> Any:
    from plow_tui.client.http import PlowClient
    from plow_tui.client.tokens import MemoryStore, TokenStore
    from plow_tui.tui.app import AppConfig, PlowApp

    class ProbedPlowApp(ProbeMixin, PlowApp):
        pass

    store = TokenStore([MemoryStore()], env={})
    await store.save_token(sandbox.base_url, token)
    app = ProbedPlowApp(
        AppConfig(api_url=sandbox.base_url, name="Ada", sandbox=True, notifications=False),
        token_store=store,
        client_factory=client_factory or PlowClient,
        now=lambda: NOW,
        cursor_blink=False,
        animation_level="none",
    )
    app.probe = PaintProbe()
    return app


async def open_live_chat(pilot: Any, chat_uid: str, timeout: float) -> Any:
    """Wait for the main screen, open the chat, wait for its first page and the live stream."""
    from plow_tui.tui.plow.chats import ChatsScreen

    app = pilot.app
    await until(lambda: isinstance(app.screen, ChatsScreen) and app.screen.chats_loaded, timeout=timeout, what="chats")
    screen = app.screen
    screen.open_chat(chat_uid)
    pane = await until(lambda: screen.pane(chat_uid), timeout=timeout, what="the pane")
    await until(lambda: pane.loaded and screen.stream_live, timeout=timeout, what="the open, live chat")
    await pilot.pause()
    return screen, pane


def older_entries(count: int, newest_at: datetime) -> list[Any]:
    # Markers from 5,000,000 up: never sent by a phone, so never confused with live texts.
    return entries(count, first=5_000_000, newest_at=newest_at)


async def append_latencies(sandbox: Sandbox, shown: int, samples: int, timeout: float) -> list[float]:
    """ms from a text leaving the phone to it being painted, with `shown` entries in the chat."""
    phone = sandbox.new_phone()
    token, chat = await sandbox.sign_up(phone)
    app = await running_app(sandbox, token)
    async with app.run_test(size=SIZE) as pilot:
        screen, pane = await open_live_chat(pilot, chat.uid, timeout)
        conversation = pane.conversation
        missing = shown - len(conversation.entries)
        if missing > 0:
            oldest = conversation.entries[0].at if conversation.entries else NOW
            conversation.prepend_older(older_entries(missing, oldest))
        await pilot.pause()
        assert len(conversation.entries) == max(shown, len(conversation.entries))
        texter = Texter(sandbox.base_url, phone, chat.number)
        sent = texter.start(1_000_000 + shown, samples, gap=0.03)
        await until(lambda: texter.done, timeout=timeout, what="the texts to be sent", step=0.01)
        texter.finish()
        probe: PaintProbe = app.probe
        await until(lambda: all(m in probe.first_seen for m in sent), timeout=timeout, what="every text painted")
        return [(probe.first_seen[m] - texter.sent_at[m]) * 1000 for m in sent]


async def bench_append(sandbox: Sandbox, sizes: Sizes) -> list[Result]:
    big = await append_latencies(sandbox, sizes.append_shown, sizes.append_samples, sizes.timeout)
    small = await append_latencies(sandbox, sizes.append_small, sizes.append_samples, sizes.timeout)
    results = []
    for pct in (50, 99):
        ours, baseline = percentile(big, pct), percentile(small, pct)
        met = ours / baseline <= 1.5 and (pct != 99 or ours < 50)
        goal = "ratio <= 1.5" + (" and ours < 50 ms" if pct == 99 else "")
        results.append(
            Result(
                f"append_at_10k_p{pct}", ours, baseline, "ms", goal, met,
                {"shown": sizes.append_shown, "baseline_shown": sizes.append_small, "samples": len(big)},
            )
        )
    return results


# --------------------------------------------------------------------------- 3. burst


_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


async def key_latencies(app: Any, compose: Any, *, count: int | None, keep_going: Callable[[], bool], timeout: float) -> list[float]:
    """Type into `compose` every 20 ms; ms from each key event to the typed text being painted."""
    from textual import events

    probe: PaintProbe = app.probe
    latencies: list[float] = []
    typed = 0
    while (count is None or len(latencies) < count) and keep_going():
        if len(compose.text) >= 30:  # stay on one line: the tail must be painted contiguously
            compose.draft = ""
            await asyncio.sleep(0.02)
        char = _ALPHABET[typed % len(_ALPHABET)]
        typed += 1
        expected = (compose.text + char)[-8:]
        probe.want(expected)
        event = events.Key(char, char)
        event.set_sender(app)
        start = time.perf_counter()
        app._driver.send_message(event)
        painted = await until(lambda: probe.seen_at(expected), timeout=timeout, what="the typed key painted")
        probe.forget(expected)
        latencies.append((painted - start) * 1000)
        await asyncio.sleep(0.02)
    return latencies


async def bench_burst(sandbox: Sandbox, sizes: Sizes) -> list[Result]:
    phone = sandbox.new_phone()
    token, chat = await sandbox.sign_up(phone)
    app = await running_app(sandbox, token)
    idle: list[float] = []
    busy: list[float] = []
    rounds: list[dict[str, Any]] = []
    async with app.run_test(size=SIZE) as pilot:
        screen, pane = await open_live_chat(pilot, chat.uid, sizes.timeout)
        compose = pane.compose_box
        compose.focus()
        await pilot.pause()
        # Idle and busy samples alternate round by round, so drift hits both alike.
        for round_ in range(sizes.burst_rounds):
            idle += await key_latencies(app, compose, count=sizes.keys_idle, keep_going=lambda: True, timeout=sizes.timeout)
            keys, stats = await burst_once(sandbox, app, pane, compose, chat, phone, 2_000_000 + round_ * sizes.burst, sizes)
            busy += keys
            rounds.append(stats)
    ours, baseline = percentile(busy, 99), percentile(idle, 99)
    lost = sum(r["lost"] for r in rounds)
    duplicates = sum(r["duplicates"] for r in rounds)
    newest_painted = all(r["newest_painted"] for r in rounds)
    return [
        Result(
            "burst_keys_p99", ours, baseline, "ms", "ratio <= 2 (keys during the burst vs idle)", ours / baseline <= 2,
            {"keys_during_burst": len(busy), "keys_idle": len(idle), "busy_p50": round(percentile(busy, 50), 2),
             "rounds": len(rounds)},
        ),
        Result(
            "burst_shown", median([r["shown_rate"] for r in rounds]), median([r["sandbox_rate"] for r in rounds]),
            "msg/s", "all shown, none lost or twice", lost == 0 and duplicates == 0 and newest_painted,
            {"messages": sizes.burst, "rounds": len(rounds), "lost": lost, "duplicates": duplicates,
             "newest_painted": newest_painted},
        ),
    ]


async def burst_once(
    sandbox: Sandbox, app: Any, pane: Any, compose: Any, chat: Any, phone: str, first: int, sizes: Sizes
) -> tuple[list[float], dict[str, Any]]:
    """One burst of `sizes.burst` texts with keys typed meanwhile: (key latencies, what was shown)."""
    conversation = pane.conversation
    before = len(conversation.entries)
    texter = Texter(sandbox.base_url, phone, chat.number)
    start = time.perf_counter()
    # Four connections at once: the sandbox's own pace is the limit.
    sent = set(texter.start(first, sizes.burst, connections=4))
    keys = await key_latencies(app, compose, count=None, keep_going=lambda: not texter.done, timeout=sizes.timeout)
    texter.finish()
    accepted = texter.accepted
    with contextlib.suppress(TimeoutError):  # a shortfall is reported as "lost" below
        # A cheap poll (it shares the measured loop); which texts arrived is checked after.
        await until(lambda: len(conversation.entries) - before >= accepted, timeout=sizes.timeout, what="the burst")
    done = time.perf_counter()
    entries = conversation.entries
    shown = {e.body for e in entries} & sent
    uids = [e.uid for e in entries]
    newest_painted = False
    with contextlib.suppress(TimeoutError):
        newest_painted = bool(await first_paint_of(app, entries[-1].body, timeout=10))
    return keys, {
        "lost": accepted - len(shown),
        "duplicates": len(uids) - len(set(uids)),
        "newest_painted": newest_painted,
        # The sandbox's pace: texts accepted per second, until the last one was sent.
        "sandbox_rate": accepted / max(max(texter.sent_at.values()) - start, 1e-9),
        "shown_rate": len(shown) / (done - start),
    }


# --------------------------------------------------------------------------- 4. chat list


async def bench_chat_list(sizes: Sizes) -> list[Result]:
    from plow_tui.tui.widgets.chat_list import ChatList
    from plow_tui.tui.widgets.view_models import ChatSummary

    def make_list(n: int) -> tuple[Callable[[], Any], str]:
        summaries = [
            ChatSummary(
                uid=f"cht_bench{i}",
                title=f"{marker(3_000_000 + i)} Sarah",
                number=f"+1555{i:07d}",
                status=("active", "pending", "failed")[i % 3],
                failure_reason="carrier_rejected" if i % 3 == 2 else None,
                preview=" ".join(WORDS[: 1 + i % 12]),
                last_at=NOW - timedelta(minutes=i),
                unread=i % 4,
                connection_note="waiting for Sarah" if i % 3 == 1 else None,
            )
            for i in range(n)
        ]
        return (lambda: ChatList(summaries, clock=lambda: NOW)), marker(3_000_000)

    ours_runs, baseline_runs = [], []
    for _ in range(sizes.open_runs):  # alternating; the median, as for open_10k
        ours_runs.append(await time_first_paint(*make_list(sizes.chats), sizes.timeout))
        baseline_runs.append(await time_first_paint(*make_list(sizes.chats_small), sizes.timeout))
    ours, baseline = median(ours_runs), median(baseline_runs)
    return [
        Result("chat_list_1k", ours, baseline, "s", "ratio <= 3", ours / baseline <= 3,
               {"chats": sizes.chats, "baseline_chats": sizes.chats_small, "runs": len(ours_runs)})
    ]


# --------------------------------------------------------------------------- 5. whole processes: startup, shell commands, idle CPU


BENCH_DIR = Path(__file__).resolve().parent


def plow_tui_command() -> list[str]:
    """How a person starts plow-tui: the installed `plow-tui` script (`-m plow_tui` without one)."""
    script = Path(sys.executable).with_name("plow-tui")
    return [sys.executable, str(script)] if script.is_file() else [sys.executable, "-m", "plow_tui"]


# The measured processes' state and settings: this run's own, removed when it ends. A fixed
# directory was shared by every run and checkout, and its log and histories grew between them.
_PROCESS_HOME = tempfile.TemporaryDirectory(prefix="plow-bench-")


def process_env(token: str) -> dict[str, str]:
    """A clean environment for the measured processes: a terminal, the token, no user files."""
    home = Path(_PROCESS_HOME.name)
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(BENCH_DIR.parent),
        "PLOW_TOKEN": token,
        # The app's log file, settings and caches (parsed stylesheets): not the user's.
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }


def on_pty(command: list[str], env: dict[str, str]) -> tuple[Any, int]:
    """Start `command` on a new 120x40 pseudo-terminal: (process, the pty's master fd)."""
    import fcntl
    import struct
    import subprocess
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    process = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True
    )
    os.close(slave)
    return process, master


def kill_on_pty(process: Any, master: int) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    os.close(master)


def read_until(master: int, needle: str, deadline: float, what: str) -> None:
    """Read the pty until `needle` has appeared in its output (perf_counter `deadline`)."""
    import select

    output = b""
    needle_bytes = needle.encode()
    while needle_bytes not in output:
        left = deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError(f"{what}: {needle!r} not painted in time; got {output[-400:]!r}")
        ready, _, _ = select.select([master], [], [], left)
        if ready:
            try:
                output += os.read(master, 65536)
            except OSError:  # the child closed the pty
                raise RuntimeError(f"{what} exited early: {output[-400:]!r}") from None


def time_to_output(command: list[str], needle: str, env: dict[str, str], timeout: float) -> float:
    """Seconds from spawning `command` on a 120x40 pty until `needle` appears in its output."""
    start = time.perf_counter()
    process, master = on_pty(command, env)
    try:
        read_until(master, needle, start + timeout, command[-1])
        return time.perf_counter() - start
    finally:
        kill_on_pty(process, master)


def run_to_exit(command: list[str], env: dict[str, str], timeout: float) -> tuple[float, float, str]:
    """Run `command` from start to exit: (wall s, the process's CPU s, its stdout). Raises if it fails."""
    import subprocess
    import tempfile
    import threading

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        try:
            # wait4, not wait(): it also returns the child's own CPU time.
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{command[2:]} exited {process.returncode}: {stderr[-1000:]}")
    return wall, usage.ru_utime + usage.ru_stime, stdout


async def bench_startup(sandbox: Sandbox, sizes: Sizes) -> list[Result]:
    phone = sandbox.new_phone()
    token, chat = await sandbox.sign_up(phone)
    env = process_env(token)
    ours_command = [*plow_tui_command(), "--api-url", sandbox.base_url]
    hello_command = [sys.executable, str(BENCH_DIR / "hello_app.py")]
    ours, hello, rows = [], [], []
    loop = asyncio.get_running_loop()

    async def timed(command: list[str], needle: str) -> float:
        return await loop.run_in_executor(None, time_to_output, command, needle, env, 60.0)

    # Killing the app mid-request makes uvicorn log a ClientDisconnect traceback: not news here.
    uvicorn_log = logging.getLogger("uvicorn.error")
    level = uvicorn_log.level
    uvicorn_log.setLevel(logging.CRITICAL)
    try:
        # A first run of each, not counted: it writes the bytecode caches (and the app's parsed
        # stylesheets), as any earlier start on a person's machine has.
        await timed(hello_command, "Hello, world")
        await timed(ours_command, chat.title)
        for _ in range(sizes.startup_runs):
            # Alternate, so drift on a shared machine hits both sides alike.
            hello.append(await timed(hello_command, "Hello, world"))
            ours.append(await timed(ours_command, MAIN_SCREEN_TEXT))
            rows.append(await timed(ours_command, chat.title))
    finally:
        uvicorn_log.setLevel(level)
    ours_median, hello_median = median(ours), median(hello)
    return [
        Result(
            "startup", ours_median, hello_median, "s", "ratio <= 1.25", ours_median / hello_median <= 1.25,
            {"runs": len(ours), "painted": "the main screen's first frame", "chat_row_s": round(median(rows), 4)},
        )
    ]


async def bench_cli(sandbox: Sandbox, sizes: Sizes) -> list[Result]:
    """`plow-tui chats` and `plow-tui send` vs the same request from `bare_httpx.py`, whole processes."""
    phone = sandbox.new_phone()
    token, chat = await sandbox.sign_up(phone)
    env = process_env(token)
    url = sandbox.base_url
    bare = [sys.executable, str(BENCH_DIR / "bare_httpx.py")]
    loop = asyncio.get_running_loop()
    times: dict[str, list[tuple[float, float]]] = {"chats": [], "bare_chats": [], "send": [], "bare_send": []}

    async def timed(key: str | None, command: list[str], expect: str) -> None:
        wall, cpu, stdout = await loop.run_in_executor(None, run_to_exit, command, env, 60.0)
        if expect not in stdout:
            raise RuntimeError(f"{command[2:]} did not print {expect!r}: {stdout[-400:]!r}")
        if key is not None:
            times[key].append((wall, cpu))

    sent = 0

    def text() -> str:
        nonlocal sent
        sent += 1
        return f"{marker(6_000_000 + sent)} from the shell"

    # A first run of each, not counted: it writes the bytecode caches.
    rounds = [(None, None, None, None)] + [("chats", "bare_chats", "send", "bare_send")] * sizes.cli_runs
    for ours_chats, bare_chats, ours_send, bare_send in rounds:
        # A/B/A/B: each pair runs back to back, so a drift of the machine's speed hits both.
        await timed(ours_chats, [*plow_tui_command(), "chats", "--api-url", url], chat.uid)
        await timed(bare_chats, [*bare, "chats", url], chat.uid)
        await timed(ours_send, [*plow_tui_command(), "send", chat.uid, text(), "--api-url", url], "msg_")
        await timed(bare_send, [*bare, "send", url, chat.uid, text()], "msg_")

    results = []
    for name, ours_key, bare_key in (("cli_chats", "chats", "bare_chats"), ("cli_send", "send", "bare_send")):
        ours_wall, ours_cpu = median([w for w, _ in times[ours_key]]), median([c for _, c in times[ours_key]])
        bare_wall, bare_cpu = median([w for w, _ in times[bare_key]]), median([c for _, c in times[bare_key]])
        results.append(
            Result(
                name, ours_wall, bare_wall, "s", "ratio <= 1.15", ours_wall / bare_wall <= 1.15,
                {"runs": len(times[ours_key]), "cpu_s": round(ours_cpu, 4), "baseline_cpu_s": round(bare_cpu, 4),
                 "cpu_ratio": round(ours_cpu / bare_cpu, 3), "baseline_is": "benchmarks/bare_httpx.py"},
            )
        )
    return results


def cpu_seconds(pid: int) -> float:
    """CPU time of a running process's threads, in ns resolution (/proc/PID/task/*/schedstat)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError):  # a thread that just ended
            total += int(stat.read_text().split()[0])
    return total / 1e9


def idle_cpu(ours_command: list[str], ours_needle: str, env: dict[str, str], sizes: Sizes) -> tuple[float, float]:
    """% of a core each app used over the idle window, ours and the bare Textual app side by side."""
    import select

    hello_command = [sys.executable, str(BENCH_DIR / "hello_app.py")]
    started = []
    try:
        for command, needle in ((ours_command, ours_needle), (hello_command, "Hello, world")):
            process, master = on_pty(command, env)
            started.append((process, master))
            read_until(master, needle, time.perf_counter() + sizes.timeout, command[-1])
        # Let startup's leftovers (the chat list's rows, the first collection) finish.
        settle_until = time.perf_counter() + sizes.idle_settle
        masters = [master for _, master in started]

        def drain(until: float) -> None:
            # Read what the apps write (a cursor blinking, say), so neither blocks on a full pty.
            while (left := until - time.perf_counter()) > 0:
                ready, _, _ = select.select(masters, [], [], left)
                for master in ready:
                    with contextlib.suppress(OSError):
                        os.read(master, 65536)

        drain(settle_until)
        before = [cpu_seconds(process.pid) for process, _ in started]
        start = time.perf_counter()
        drain(start + sizes.idle_window)
        elapsed = time.perf_counter() - start
        after = [cpu_seconds(process.pid) for process, _ in started]
        for process, _ in started:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[-1]} exited while idle ({process.returncode})")
    finally:
        for process, master in started:
            kill_on_pty(process, master)
    ours, hello = (100 * (a - b) / elapsed for a, b in zip(after, before))
    return ours, hello


async def bench_idle(sandbox: Sandbox, sizes: Sizes) -> list[Result]:
    """The app on its main screen with `sizes.idle_chats` chats, doing nothing: % of a core."""
    from plow_tui.client.http import PlowClient

    phone = sandbox.new_phone()
    token, chat = await sandbox.sign_up(phone)
    async with PlowClient(sandbox.base_url, token) as api:
        for n in range(1, sizes.idle_chats):
            created = await api.create_chat(chat.line_uid or "", [f"Idle {n:02d}"])
            code = created.members[-1].verification_code
            # Each member verifies from a phone of their own, so every chat is active.
            Texter(sandbox.base_url, sandbox.new_phone(), chat.number or "").send_raw(code or "")
        chats = await api.chats()
    assert len(chats) == sizes.idle_chats and all(c.status == "active" for c in chats), [c.status for c in chats]
    env = process_env(token)
    loop = asyncio.get_running_loop()
    # Any chat's row on screen: the list has loaded.
    needle = "Idle " if sizes.idle_chats > 1 else chat.title
    ours, hello = await loop.run_in_executor(
        None, idle_cpu, [*plow_tui_command(), "--api-url", sandbox.base_url], needle, env, sizes
    )
    return [
        Result(
            "idle_cpu", ours, hello, "%", "ours < 0.5 % of a core", ours < 0.5,
            {"chats": sizes.idle_chats, "window_s": sizes.idle_window, "baseline_is": "a bare Textual app, same window"},
        )
    ]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


# --------------------------------------------------------------------------- 6. memory


async def memory_child(count: int) -> dict[str, float]:
    """Run in a fresh process: RSS growth from creating and showing a `count`-entry Conversation."""
    from plow_tui.tui.widgets.conversation import Conversation

    app = probed_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        gc.collect()
        before = rss_mib()
        data = entries(count)
        conversation = Conversation(data, clock=lambda: NOW)
        del data
        await app.mount(conversation)
        if count:
            await first_paint_of(app, marker(count - 1), timeout=120)
        else:
            await pilot.pause()
        await pilot.pause()
        gc.collect()
        after = rss_mib()
        assert len(conversation.entries) == count
        return {"before": before, "after": after, "delta": after - before}


def run_memory_child(count: int) -> dict[str, float]:
    import subprocess

    output = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(count)], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


async def bench_memory(sizes: Sizes) -> list[Result]:
    loop = asyncio.get_running_loop()
    empty = await loop.run_in_executor(None, run_memory_child, 0)
    full = await loop.run_in_executor(None, run_memory_child, sizes.memory_n)
    extra = full["delta"] - empty["delta"]
    return [
        Result("memory_100k", full["delta"], empty["delta"], "MiB", "ours - baseline < 200 MiB", extra < 200,
               {"messages": sizes.memory_n, "extra_mib": round(extra, 1), "how": "RSS from /proc/self/statm after gc.collect(), fresh process"})
    ]


# --------------------------------------------------------------------------- 7. backfill


async def bench_backfill(sandbox: Sandbox, sizes: Sizes) -> list[Result]:
    phone = sandbox.new_phone()
    token, chat = await sandbox.sign_up(phone)
    gate = asyncio.Event()
    gate.set()
    waiting = [0]
    app = await running_app(sandbox, token, gated_client_factory(gate, waiting))
    ours, baseline, duplicates = [], [], 0
    async with app.run_test(size=SIZE) as pilot:
        screen, pane = await open_live_chat(pilot, chat.uid, sizes.timeout)
        for round_ in range(sizes.backfill_rounds):
            first = 4_000_000 + round_ * sizes.backfill
            ours.append(await backfill_once(sandbox, app, pilot, pane, gate, waiting, chat, phone, first, sizes))
            uids = [e.uid for e in pane.conversation.entries]
            duplicates += len(uids) - len(set(uids))
            await pilot.pause()
            baseline.append(await fetch_newest(sandbox.base_url, token, chat.uid, sizes.backfill, first))
    ours_median, baseline_median = median(ours), median(baseline)
    return [
        Result(
            "backfill_5k", ours_median, baseline_median, "s", "ratio <= 1.25",
            ours_median / baseline_median <= 1.25 and duplicates == 0,
            {"messages": sizes.backfill, "rounds": len(ours), "duplicates": duplicates},
        )
    ]


async def backfill_once(
    sandbox: Sandbox, app: Any, pilot: Any, pane: Any, gate: asyncio.Event, waiting: list[int],
    chat: Any, phone: str, first: int, sizes: Sizes,
) -> float:
    """Drop the socket, hold the reconnect while `sizes.backfill` texts arrive; seconds from release to shown."""
    import httpx

    gate.clear()
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        (await http.post("/sandbox/faults", json={"drop_sockets": True})).raise_for_status()
    await until(lambda: waiting[0] > 0, timeout=sizes.timeout, what="the stream to wait for a ticket")
    texter = Texter(sandbox.base_url, phone, chat.number)
    missed = texter.start(first, sizes.backfill, connections=4)
    await until(lambda: texter.done, timeout=sizes.timeout * 2, what="the missed texts sent", step=0.01)
    texter.finish()
    await pilot.pause()
    conversation = pane.conversation
    expected = len(conversation.entries) + len(missed)
    gc.collect()
    start = time.perf_counter()
    gate.set()
    # A cheap poll (it shares the measured loop); what arrived is checked after.
    await until(lambda: len(conversation.entries) >= expected, timeout=sizes.timeout, what="the backfill")
    # The phone used several connections, so the newest message is not the
    # highest marker: the newest entry is what must reach the screen.
    newest = conversation.entries[-1].body
    shown = await first_paint_of(app, newest, timeout=sizes.timeout) - start
    arrived = {e.body for e in conversation.entries[-len(missed) :]}
    assert arrived == set(missed), f"{len(set(missed) - arrived)} missed texts not shown"
    return shown


async def fetch_newest(base_url: str, token: str, chat_uid: str, count: int, first: int) -> float:
    """The baseline: bare httpx fetching the newest `count` messages (pages of 100, newest first)."""
    import httpx

    gc.collect()
    fetched: list[dict[str, Any]] = []
    # Like the app's client, one that is already open (creating one costs ~30 ms).
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        start = time.perf_counter()
        after = None
        while len(fetched) < count:
            params: dict[str, Any] = {"limit": 100}
            if after:
                params["starting_after"] = after
            page = (await http.get(f"/v1/chats/{chat_uid}/messages", params=params)).json()
            fetched.extend(page["data"])
            after = page["data"][-1]["uid"]
            if not page["has_more"]:
                break
        elapsed = time.perf_counter() - start
    assert {m["body"] for m in fetched[:count]} == {marker(n) for n in range(first, first + count)}
    return elapsed


# --------------------------------------------------------------------------- main


# --quick shrinks these below the sizes, so their goals are not judged there.
QUICK_UNJUDGED = {"open_10k", "burst_keys_p99", "burst_shown", "backfill_5k", "idle_cpu"}
BENCHES = ("open", "append", "burst", "chat_list", "startup", "memory", "backfill", "cli", "idle", "store")


async def run(sizes: Sizes, only: set[str], emit: Callable[[Result], None]) -> None:
    if "memory" in only:  # first: child processes, least disturbed by the rest
        for result in await bench_memory(sizes):
            emit(result)
    if "open" in only:
        for result in await bench_open(sizes):
            emit(result)
    if "chat_list" in only:
        for result in await bench_chat_list(sizes):
            emit(result)
    if "store" in only:  # issue #16's figures live in their own module (benchmarks/store_bench.py)
        import store_bench

        await store_bench.bench_store(sizes, sys.modules[__name__], emit)
    if only & {"append", "burst", "startup", "backfill", "cli", "idle"}:
        sandbox = Sandbox()
        try:
            for name, bench in (
                ("append", bench_append),
                ("burst", bench_burst),
                ("backfill", bench_backfill),
                ("startup", bench_startup),
                ("cli", bench_cli),
                ("idle", bench_idle),
            ):
                if name in only:
                    for result in await bench(sandbox, sizes):
                        emit(result)
        finally:
            sandbox.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller baselines and fewer samples (< 1 minute)")
    parser.add_argument("--tiny", action="store_true", help="toy sizes: only proves the suite runs (for tests)")
    parser.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {','.join(BENCHES)}")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child is not None:
        print(json.dumps(asyncio.run(memory_child(args.memory_child))))
        return 0
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}; pick from {', '.join(BENCHES)}")
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    sizes = MODES[mode]

    results: list[Result] = []

    def emit(result: Result) -> None:
        if mode == "tiny" or (mode == "quick" and result.name in QUICK_UNJUDGED):
            result.met = None
            result.extra.setdefault("note", f"sizes below the issues' in {mode} mode: not judged")
        results.append(result)
        print(result.line(), flush=True)

    started = time.perf_counter()
    asyncio.run(run(sizes, only, emit))
    elapsed = time.perf_counter() - started
    judged = [r for r in results if r.met is not None]
    missed = [r.name for r in judged if not r.met]
    unjudged = [r.name for r in results if r.met is None]
    print(
        f"summary: {len(judged) - len(missed)}/{len(judged)} goals met"
        + (f" (missed: {', '.join(missed)})" if missed else "")
        + (f"; not judged in this mode: {', '.join(unjudged)}" if unjudged else "")
        + f"; mode={mode}; {elapsed:.1f}s; {os.cpu_count()} CPUs; Python {platform.python_version()}",
        flush=True,
    )
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
