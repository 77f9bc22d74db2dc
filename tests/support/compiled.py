"""Which regular expressions a module compiles, and when: for tests that keep compiling out of start-up."""

from __future__ import annotations

import subprocess
import sys


def compiled_counts(module: str, steps: list[str]) -> list[int]:
    """In a fresh interpreter: how many patterns `module`'s own code has compiled after each of `steps`.

    The first step is usually the module's import. Counted by a spy on
    `re.compile` that looks at the caller's module, so a pattern compiled by
    another module (or by `re` itself) does not count.
    """
    lines = [
        "import re, sys",
        "compiled = []",
        "real = re.compile",
        "def spy(pattern, *args):",
        f"    if sys._getframe(1).f_globals['__name__'] == {module!r}:",
        "        compiled.append(pattern)",
        "    return real(pattern, *args)",
        "re.compile = spy",
        "counts = []",
    ]
    for step in steps:
        lines += [step, "counts.append(len(compiled))"]
    lines.append("print(*counts)")
    out = subprocess.run([sys.executable, "-c", "\n".join(lines)], check=True, capture_output=True, text=True, timeout=60)
    return [int(n) for n in out.stdout.split()]
