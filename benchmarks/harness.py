"""Shared pieces of the benchmark suite: paint detection, sandbox traffic, statistics.

"Painted" means: the text reached a compositor update that Textual handed to
`App._display`, i.e. what would be written to the terminal. In headless mode
Textual skips the terminal write, so the probe renders each update to its
terminal byte string itself (the same work a real terminal run does) and looks
for markers in it. Ours and every baseline are measured through this one probe.
"""

from __future__ import annotations

import asyncio
import math
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
from textual._compositor import CompositorUpdate
from textual.app import App

# Every message body the benchmarks send or show carries one marker: `m` and 7 digits.
MARKER = re.compile(r"m\d{7}")


def marker(n: int) -> str:
    return f"m{n:07d}"


class PaintProbe:
    """When each marker (and each awaited substring) first reached the screen."""

    def __init__(self) -> None:
        self.first_seen: dict[str, float] = {}
        self.displays = 0
        self._wanted: dict[str, float | None] = {}

    def want(self, text: str) -> None:
        """Start watching for an exact substring (say, what was just typed)."""
        self._wanted[text] = None

    def seen_at(self, text: str) -> float | None:
        return self._wanted.get(text)

    def forget(self, text: str) -> None:
        self._wanted.pop(text, None)

    def see(self, painted: str) -> None:
        now = time.perf_counter()
        self.displays += 1
        for found in MARKER.findall(painted):
            self.first_seen.setdefault(found, now)
        for text, at in self._wanted.items():
            if at is None and text in painted:
                self._wanted[text] = now


class ProbeMixin:
    """Mix into an App (first base) to feed every screen update to `self.probe`."""

    probe: PaintProbe

    def _display(self, screen: Any, renderable: Any) -> None:  # Textual's private hook, stable in 8.x
        super()._display(screen, renderable)  # type: ignore[misc]
        if isinstance(renderable, CompositorUpdate):
            probe = getattr(self, "probe", None)
            if probe is not None:
                probe.see(renderable.render_segments(self.console))  # type: ignore[attr-defined]


async def until(predicate: Callable[[], Any], *, timeout: float, what: str, step: float = 0.001) -> Any:
    """Poll `predicate` on the running loop until it is truthy (the loop keeps running meanwhile)."""
    deadline = time.perf_counter() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(step)


async def first_paint_of(app: App, text_marker: str, *, timeout: float) -> float:
    """Wait until `text_marker` has been painted; its perf_counter time."""
    probe: PaintProbe = app.probe  # type: ignore[attr-defined]
    return await until(lambda: probe.first_seen.get(text_marker), timeout=timeout, what=f"{text_marker} painted")


def percentile(values: Iterable[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 100 samples is the 99th smallest)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def rss_mib() -> float:
    """Resident set size of this process from /proc/self/statm (no psutil)."""
    import os

    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def nicer() -> None:
    """Run a helper process (sandbox, phone) at lower CPU priority than the app.

    In real use the server and the phones are other machines: the app has the
    CPU to itself. On a 2-core box the helpers would otherwise take turns with
    the measured process and their scheduling would show up in its figures.
    """
    import os

    os.nice(10)


class Texter:
    """A member's phone texting a line through `/sandbox/sms`.

    Bulk texts go out from a separate process (`benchmarks/phone.py`), so the
    phone's HTTP work does not compete for the measured process's GIL.
    `sent_at` maps each marker to the perf_counter time (CLOCK_MONOTONIC, the
    same clock in every process) just before its request left.
    """

    def __init__(self, base_url: str, phone: str, line: str) -> None:
        self.base_url = base_url
        self.phone = phone
        self.line = line
        self.sent_at: dict[str, float] = {}
        self._process: subprocess.Popen[str] | None = None

    def send_raw(self, text: str) -> str:
        """Send one text (say, an activation code) from this process; the sandbox's `effect`."""
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            response = http.post("/sandbox/sms", json={"from": self.phone, "to": self.line, "text": text})
            response.raise_for_status()
            return response.json()["effect"]

    def start(self, first: int, count: int, *, gap: float = 0.0, connections: int = 1) -> list[str]:
        """Start texting markers `first`..`first+count-1`; returns them (in marker order)."""
        script = Path(__file__).resolve().parent / "phone.py"
        command = [sys.executable, str(script), self.base_url, self.phone, self.line]
        command += ["--first", str(first), "--count", str(count), "--gap", str(gap), "--connections", str(connections)]
        # Files, not pipes: thousands of lines would fill a pipe nobody reads until the end.
        self._out = tempfile.TemporaryFile("w+")
        self._err = tempfile.TemporaryFile("w+")
        self._process = subprocess.Popen(command, stdout=self._out, stderr=self._err, text=True, preexec_fn=nicer)
        return [marker(n) for n in range(first, first + count)]

    @property
    def done(self) -> bool:
        return self._process is None or self._process.poll() is not None

    def finish(self) -> None:
        """Collect the send times; raise if the phone failed."""
        assert self._process is not None, "start() first"
        self._process.wait(timeout=600)
        self._out.seek(0)
        self._err.seek(0)
        out, err = self._out.read(), self._err.read()
        self._out.close()
        self._err.close()
        if self._process.returncode:
            raise RuntimeError(f"the phone process failed ({self._process.returncode}): {err[-1000:]}")
        for line in out.splitlines():
            text, at = line.split()
            self.sent_at[text] = float(at)

    @property
    def accepted(self) -> int:
        return len(self.sent_at)
