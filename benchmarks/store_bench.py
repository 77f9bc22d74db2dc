"""The local store's figures (issue #16), run from `benchmarks/run.py --only store`.

store_start       `python -m plow_tui` with a token whose store holds 1,000 chats and
                  100,000 messages, the server unreachable, under a 120x40 pty →
                  the newest stored chat's title in the output (the last-known list
                  painted from disk). Baseline: the bare Textual hello-world under the
                  same pty. Medians of alternating runs, after one uncounted run of
                  each (as for startup). Goal ratio <= 1.2.
store_open_100k   Open a stored 100,000-message chat the way the app does (its newest
                  page read from the store, turned into entries, a Conversation
                  mounted) → the newest painted. Baseline: `open_10k` (a Conversation
                  of 10,000 entries mounted → painted), in the same run. Goal ratio <= 2.
search_100k       Typing queries letter by letter into a search over 100,000 stored
                  messages: per keystroke, `HistoryStore.search` (FTS5, the 50
                  newest hits with snippets). Baseline: a plain
                  `SELECT … WHERE body LIKE '%q%' ORDER BY id DESC LIMIT 50` over
                  the same table. p99 of each; goal ratio <= 0.2 and ours < 50 ms.
burst_with_store  The burst of `burst_keys_p99` (texts pouring in while keys are
                  typed), with the app writing every message to its store; keypress
                  p99 vs the same without a store, in the same run. Goal ratio <= 1.2.
store_size_100k   The store's size on disk (database + WAL after a checkpoint) per
                  100,000 messages, in MiB. Printed, not judged.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

random.seed(16)
_VOCABULARY = ["".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(random.randint(3, 9))) for _ in range(6000)]
_T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
TOKEN = "bench-store-token"
ACCOUNT = "15550001600"


def _bodies(count: int) -> list[str]:
    rng = random.Random(count)
    return [" ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(3, 15))) for _ in range(count)]


def build_store(path: Path, *, chats: int, messages: int, big_chat: int = 0) -> list[str]:
    """A store of `chats` chats and `messages` messages (the first `big_chat` in one chat); the chat uids."""
    from plow_tui.client.models import Agent, Chat, Line, Member, ChatMessage, Sender
    from plow_tui.store.history import HistoryStore

    owner = Member(uid="cp_owner", status="active", display_name="Ada", role="owner", provider_key="+" + ACCOUNT)
    agent = Agent(line=Line(uid="ln_1", provider_key="+15550000001"), relationship="self")
    uids = [f"cht_bench{n:05d}" for n in range(chats)]
    bodies = _bodies(messages)
    with HistoryStore.open(path) as store:
        store.save_chats(
            Chat(uid=uid, status="active", display_name=f"Bench chat {n:05d}", members=(owner,), agents=(agent,), created_at=_T0)
            for n, uid in enumerate(uids)
        )
        batch: list[ChatMessage] = []
        for i, body in enumerate(bodies):
            chat_uid = uids[0] if i < big_chat else uids[i % chats]
            batch.append(
                ChatMessage(
                    uid=f"msg_bench{i:08d}", chat_uid=chat_uid, direction="inbound", body=f"m{i:07d} {body}",
                    status="received", sender=Sender(type="member", uid="cp_x", display_name="Sarah"),
                    created_at=_T0 + timedelta(seconds=i),
                )
            )
            if len(batch) == 5000:
                store.add_messages(batch)
                batch = []
        store.add_messages(batch)
        store.set_meta("open_chat", uids[-1])
    return uids


def _checkpointed_size(path: Path) -> int:
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


async def bench_store(sizes: Any, run: Any, emit: Any) -> None:
    """Every store figure, each emitted as soon as it is measured; `run` is benchmarks/run.py (its Result, helpers and the sandbox)."""
    Result = run.Result

    class _Emitting(list):  # each figure printed the moment it is measured
        def append(self, result: Any) -> None:
            emit(result)

    results: list[Any] = _Emitting()
    count = sizes.open_big  # 100,000 in the full run
    scratch = Path(tempfile.mkdtemp(prefix="plow-bench-store-"))
    try:
        path = scratch / "store.sqlite3"
        started = time.perf_counter()
        build_store(path, chats=sizes.chats, messages=count, big_chat=count // 2)
        built = time.perf_counter() - started
        size = _checkpointed_size(path) / 2**20
        # Baseline: the message bodies alone, as UTF-8 (what any history must hold).
        raw = sum(len(f"m{i:07d} {body}".encode()) for i, body in enumerate(_bodies(count))) / 2**20
        results.append(
            Result("store_size_100k", size * 100_000 / count, raw * 100_000 / count, "MiB", "printed (baseline: the bodies alone)", None,
                   {"messages": count, "chats": sizes.chats, "build_s": round(built, 2), "per_message_bytes": round(size * 2**20 / count)})
        )
        results.append(_bench_search(path, count, Result))
        results.append(await _bench_open(path, count, sizes, run))
        results.append(await _bench_start(path, sizes, run))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results.append(await _bench_burst_with_store(sizes, run))


def _bench_search(path: Path, count: int, Result: Any) -> Any:
    from plow_tui.store.history import HistoryStore

    rng = random.Random(7)
    words = [rng.choice(_VOCABULARY) for _ in range(12)] + ["zqxv", "m0049"]  # two typed ones that match little
    ours: list[float] = []
    like: list[float] = []
    with HistoryStore.open(path) as store:
        assert store.search_mode == "fts5", "this Python's SQLite has no FTS5: search_100k measures the index"
        db = sqlite3.connect(path)
        for word in words:
            for end in range(1, len(word) + 1):
                typed = word[:end]
                gc.collect()
                start = time.perf_counter()
                store.search(typed, limit=50)
                ours.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                db.execute(
                    "SELECT uid, chat_uid, created_at, body FROM messages WHERE body LIKE ? ORDER BY id DESC LIMIT 50",
                    (f"%{typed}%",),
                ).fetchall()
                like.append((time.perf_counter() - start) * 1000)
        db.close()
    mine, theirs = _p99(ours), _p99(like)
    return Result(
        "search_100k", mine, theirs, "ms", "ratio <= 0.2 and p99 < 50 ms", mine / theirs <= 0.2 and mine < 50,
        {"keystrokes": len(ours), "messages": count, "p50": round(sorted(ours)[len(ours) // 2], 2), "like_p50": round(sorted(like)[len(like) // 2], 2)},
    )


async def _bench_open(path: Path, count: int, sizes: Any, run: Any) -> Any:
    from plow_tui.store.history import HistoryStore
    from plow_tui.tui.plow.views import message_entry
    from plow_tui.tui.widgets.conversation import Conversation

    big_chat = "cht_bench00000"
    ten_k = run.entries(10_000)
    newest_10k = ten_k[-1].body.split()[0]
    ours: list[float] = []
    baseline: list[float] = []
    with HistoryStore.open(path) as store:
        newest = store.messages(big_chat, limit=1)[0].body.split()[0]

        def from_store() -> Any:
            now = datetime.now(timezone.utc)
            page = store.messages(big_chat, limit=50)  # what ChatsScreen._load_page asks the store for
            return Conversation([message_entry(m, now) for m in reversed(page)], clock=lambda: run.NOW)

        for _ in range(sizes.open_runs):
            baseline.append(await run.time_first_paint(lambda: Conversation(ten_k, clock=lambda: run.NOW), newest_10k, sizes.timeout))
            ours.append(await run.time_first_paint(from_store, newest, sizes.timeout))
    mine, theirs = run.median(ours), run.median(baseline)
    return run.Result(
        "store_open_100k", mine, theirs, "s", "ratio <= 2 (vs open_10k)", mine / theirs <= 2,
        {"messages_in_chat": count // 2, "runs": len(ours), "painted": "the newest stored message"},
    )


async def _bench_start(path: Path, sizes: Any, run: Any) -> Any:
    from plow_tui.store.location import HistoryLocation

    state = Path(tempfile.mkdtemp(prefix="plow-bench-state-"))
    try:
        dead = "http://127.0.0.1:9"  # the server is down: the list can only come from disk
        where = HistoryLocation(dead, root=state / "plow-tui" / "history")
        target = where.remember(TOKEN, ACCOUNT)
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{path}{suffix}").exists():
                shutil.copy(f"{path}{suffix}", f"{target}{suffix}")
        root = Path(__file__).resolve().parent.parent
        env = {
            "PATH": os.environ.get("PATH", ""), "HOME": str(state), "TERM": "xterm-256color", "COLORTERM": "truecolor",
            "LANG": "C.UTF-8", "PYTHONPATH": str(root), "PLOW_TOKEN": TOKEN, "XDG_STATE_HOME": str(state),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        newest_title = f"Bench chat {sizes.chats - 1:05d}"
        ours_command = [sys.executable, "-m", "plow_tui", "--api-url", dead]
        hello_command = [sys.executable, str(Path(__file__).resolve().parent / "hello_app.py")]
        ours, hello = [], []
        loop = asyncio.get_running_loop()
        # A first run of each, not counted, as for `startup`: it writes the bytecode caches and
        # the app's parsed stylesheets (in this run's HOME), as any earlier start would have.
        await loop.run_in_executor(None, run.time_to_output, hello_command, "Hello, world", env, 60.0)
        await loop.run_in_executor(None, run.time_to_output, ours_command, newest_title, env, 60.0)
        for _ in range(sizes.startup_runs):
            hello.append(await loop.run_in_executor(None, run.time_to_output, hello_command, "Hello, world", env, 60.0))
            ours.append(await loop.run_in_executor(None, run.time_to_output, ours_command, newest_title, env, 60.0))
    finally:
        shutil.rmtree(state, ignore_errors=True)
    mine, theirs = run.median(ours), run.median(hello)
    return run.Result(
        "store_start", mine, theirs, "s", "ratio <= 1.2", mine / theirs <= 1.2,
        {"runs": len(ours), "chats": sizes.chats, "painted": "the last-known chat list (server down)"},
    )


async def _bench_burst_with_store(sizes: Any, run: Any) -> Any:
    from plow_tui.store.location import Histories

    sandbox = run.Sandbox()
    scratch = Path(tempfile.mkdtemp(prefix="plow-bench-burst-"))
    without: list[float] = []
    with_store: list[float] = []
    try:
        for round_ in range(sizes.burst_rounds):
            # Alternate: a burst without a store, then one with it, each in a fresh app.
            for histories, keys in ((None, without), (Histories(sandbox.base_url, root=scratch), with_store)):
                phone = sandbox.new_phone()
                token, chat = await sandbox.sign_up(phone)
                app = await run.running_app(sandbox, token)
                app.histories = histories
                async with app.run_test(size=run.SIZE) as pilot:
                    _, pane = await run.open_live_chat(pilot, chat.uid, sizes.timeout)
                    compose = pane.compose_box
                    compose.focus()
                    await pilot.pause()
                    typed, _ = await run.burst_once(sandbox, app, pane, compose, chat, phone, 5_000_000 + round_ * 10 * sizes.burst, sizes)
                    keys += typed
    finally:
        sandbox.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    mine, theirs = _p99(with_store), _p99(without)
    return run.Result(
        "burst_with_store", mine, theirs, "ms", "ratio <= 1.2 (key p99 with the store vs without)", mine / theirs <= 1.2,
        {"messages": sizes.burst, "rounds": sizes.burst_rounds, "keys_with": len(with_store), "keys_without": len(without)},
    )
