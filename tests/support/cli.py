"""`plow-tui` commands run in this process with their own streams (gh's `iostreams.Test()`).

`run_here` runs one command to its end; `Background` runs a long one (`tail`,
`activate`) on a thread while the test drives the sandbox, and reads what it
printed so far. `main` binds `sys.stdout`/`sys.stderr` for its run, so only one
command runs at a time and the test itself prints nothing meanwhile.
A couple of subprocess smoke tests keep the real entry point, signals and
pipes covered (`support.PLOW_TUI`).
"""

from __future__ import annotations

import io
import subprocess
import threading
from collections.abc import Callable, Mapping

from support.waits import WAIT, wait_until

from plow_tui.cli import main


def run_here(args: list[str], env: Mapping[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command in this process, with its own streams and environment."""
    out, err = io.StringIO(), io.StringIO()
    code = main(args, stdin=io.StringIO(stdin or ""), stdout=out, stderr=err, env=env)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


class Background:
    """A command running on a thread of this process; `stdout`/`stderr` are what it printed so far."""

    def __init__(self, args: list[str], env: Mapping[str, str]) -> None:
        self._out, self._err = io.StringIO(), io.StringIO()
        self._codes: list[int] = []

        def run() -> None:
            self._codes.append(main(args, stdin=io.StringIO(""), stdout=self._out, stderr=self._err, env=env))

        self._thread = threading.Thread(target=run, name=f"plow-tui {args[0]}", daemon=True)
        self._thread.start()

    @property
    def stdout(self) -> str:
        return self._out.getvalue()

    @property
    def stderr(self) -> str:
        return self._err.getvalue()

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = WAIT) -> None:
        """Until `condition()` holds; fails at once (with its stderr) if the command ended first."""

        def met() -> bool:
            if condition():
                return True
            assert self._thread.is_alive(), f"the command ended before {what}: {self.stderr}"
            return False

        wait_until(met, what, timeout=timeout, step=0.02)

    def exit_code(self, timeout: float = 3 * WAIT) -> int:
        """Wait for the command to end; its exit code."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the command did not end: {self.stderr}"
        return self._codes[0]
