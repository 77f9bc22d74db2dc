"""The benchmark suite runs end to end (in its toy `--tiny` mode): every figure, well-formed.

No timing is asserted: tiny sizes on a shared machine say nothing about
speed. What must hold is that each measurement runs to completion, prints one
JSON object per figure with the agreed keys, loses no message, and ends with
the summary line.

One `run.py --tiny --only …` per group of measurements rather than one run of
them all: the whole run takes over half a minute, and no single test may take
more than 20 s (issue #13). Together the groups name every benchmark once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each benchmark (`run.py --only` name) and the figures it prints.
FIGURES = {
    "open": {"open_10k", "open_100k"},
    "append": {"append_at_10k_p50", "append_at_10k_p99"},
    "burst": {"burst_keys_p99", "burst_shown"},
    "chat_list": {"chat_list_1k"},
    "startup": {"startup"},
    "memory": {"memory_100k"},
    "backfill": {"backfill_5k"},
    "cli": {"cli_chats", "cli_send"},
    "idle": {"idle_cpu"},
    # issue #16 (benchmarks/store_bench.py)
    "store": {"store_size_100k", "search_100k", "store_open_100k", "store_start", "burst_with_store"},
}
# The groups run as one process each: the quick ones together, the sandbox's
# (which start one sandbox per process) one each, the longest about 10 s on an idle machine.
GROUPS = [("open", "chat_list", "memory"), ("append",), ("startup",), ("burst",), ("backfill",), ("cli",), ("idle",), ("store",)]
UNITS = {"s", "ms", "MiB", "msg/s", "%"}


def test_the_groups_cover_every_benchmark_once() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from run import BENCHES
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    named = [name for group in GROUPS for name in group]
    assert sorted(named) == sorted(BENCHES) == sorted(FIGURES)


@pytest.mark.parametrize("group", GROUPS, ids="+".join)
def test_tiny_run_prints_every_figure_and_a_summary(group: tuple[str, ...]) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--tiny", "--only", ",".join(group)],
        capture_output=True,
        text=True,
        timeout=200,  # a minute or more on a busy 2-core machine
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert lines[-1].startswith("summary: 0/0 goals met; not judged in this mode: ") and "mode=tiny" in lines[-1]
    records = [json.loads(line) for line in lines[:-1]]
    figures = set().union(*(FIGURES[name] for name in group))
    assert {r["name"] for r in records} == figures
    assert len(records) == len(figures)  # each once
    for record in records:
        assert record["unit"] in UNITS, record
        assert record["ours"] > 0 and record["baseline"] > 0, record
        assert abs(record["ratio"] / (record["ours"] / record["baseline"]) - 1) < 1e-3, record
        assert record["met"] is None and record["goal"], record  # toy sizes are never judged
    named = {r["name"]: r for r in records}
    if burst := named.get("burst_shown"):
        assert burst["lost"] == 0 and burst["duplicates"] == 0 and burst["newest_painted"], burst
    if backfill := named.get("backfill_5k"):
        assert backfill["duplicates"] == 0, backfill
    for name in ("cli_chats", "cli_send"):  # whole processes: their CPU time is read too
        if cli := named.get(name):
            assert cli["runs"] == 1 and cli["cpu_s"] > 0 and cli["baseline_cpu_s"] > 0, cli
    if idle := named.get("idle_cpu"):
        assert idle["chats"] == 3 and idle["window_s"] > 0, idle
    assert "Traceback" not in done.stderr, done.stderr[-3000:]


def test_unknown_benchmark_names_are_refused() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only", "open,nonsense"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "unknown benchmark(s): nonsense" in done.stderr
