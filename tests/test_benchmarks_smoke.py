"""The benchmark suite runs end to end (in its toy `--tiny` mode): every figure, well-formed.

No timing is asserted: tiny sizes on a shared machine say nothing about
speed. What must hold is that each measurement runs to completion, prints one
JSON object per figure with the agreed keys, loses no message, and ends with
the summary line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIGURES = {
    "open_10k",
    "open_100k",
    "append_at_10k_p50",
    "append_at_10k_p99",
    "burst_keys_p99",
    "burst_shown",
    "chat_list_1k",
    "startup",
    "memory_100k",
    "backfill_5k",
    # issue #16 (benchmarks/store_bench.py)
    "store_size_100k",
    "search_100k",
    "store_open_100k",
    "store_start",
    "burst_with_store",
}
UNITS = {"s", "ms", "MiB", "msg/s"}


def test_tiny_run_prints_every_figure_and_a_summary() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--tiny"],
        capture_output=True,
        text=True,
        timeout=400,  # the store's figures add about a minute on a busy 2-core machine
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert lines[-1].startswith("summary: 0/0 goals met; not judged in this mode: ") and "mode=tiny" in lines[-1]
    records = [json.loads(line) for line in lines[:-1]]
    assert {r["name"] for r in records} == FIGURES
    assert len(records) == len(FIGURES)  # each once
    for record in records:
        assert record["unit"] in UNITS, record
        assert record["ours"] > 0 and record["baseline"] > 0, record
        assert abs(record["ratio"] / (record["ours"] / record["baseline"]) - 1) < 1e-3, record
        assert record["met"] is None and record["goal"], record  # toy sizes are never judged
    burst = next(r for r in records if r["name"] == "burst_shown")
    assert burst["lost"] == 0 and burst["duplicates"] == 0 and burst["newest_painted"], burst
    backfill = next(r for r in records if r["name"] == "backfill_5k")
    assert backfill["duplicates"] == 0, backfill
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
