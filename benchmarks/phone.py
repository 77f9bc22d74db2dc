"""A member's phone texting a line through `/sandbox/sms`, as its own process.

    python benchmarks/phone.py BASE_URL FROM TO --first N --count K [--gap S] [--connections C]

Sends texts `m<first>`..`m<first+count-1>` (the markers of `harness.marker`)
and prints one line per text: `<marker> <perf_counter when its request left>`.
`time.perf_counter` is CLOCK_MONOTONIC on Linux, so the benchmark process can
compare it with its own clock. Running the phone in its own process keeps its
HTTP work off the measured process's GIL: in real use the phones are not in
the app's process either.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import httpx


def send(base_url: str, sender: str, to: str, markers: list[str], gap: float, out: list[str]) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for text in markers:
            sent_at = time.perf_counter()
            response = http.post("/sandbox/sms", json={"from": sender, "to": to, "text": text})
            response.raise_for_status()
            if response.json().get("effect") != "message":
                raise SystemExit(f"the sandbox did not take {text} as a message: {response.text[:200]}")
            out.append(f"{text} {sent_at!r}")
            if gap:
                time.sleep(gap)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("sender")
    parser.add_argument("to")
    parser.add_argument("--first", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--gap", type=float, default=0.0, help="seconds between texts on each connection")
    parser.add_argument("--connections", type=int, default=1)
    args = parser.parse_args()
    markers = [f"m{n:07d}" for n in range(args.first, args.first + args.count)]
    results: list[list[str]] = [[] for _ in range(args.connections)]
    threads = [
        threading.Thread(
            target=send,
            args=(args.base_url, args.sender, args.to, markers[k :: args.connections], args.gap, results[k]),
        )
        for k in range(args.connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = [line for result in results for line in result]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0 if len(lines) == len(markers) else 1


if __name__ == "__main__":
    raise SystemExit(main())
