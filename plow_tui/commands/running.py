"""What every scriptable subcommand shares: running it, its failures, its output.

`run_command` runs an async command and turns each failure into one sentence
on stderr and an `ExitCode`, never a traceback, never a secret. The parts that
differ by backend (which client error means which exit code, and what the user
can do about it) come from the command module as an `explain` function.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from plow_tui.commands import ExitCode
from plow_tui.terminal_text import error_text, safe_line

Command = Callable[[argparse.Namespace], Awaitable[int]]

# An error's exit code and an optional hint that follows its message.
Explanation = tuple[int, str]
Explain = Callable[[Exception, argparse.Namespace], "Explanation | None"]


class UsageError(Exception):
    """Bad input the user can fix: exit code 2."""


def run_command(command: Command, args: argparse.Namespace, explain: Explain) -> int:
    """Run an async command; turn every failure into one sentence and an exit code.

    `explain` maps the backend's own errors to `(exit code, hint)`; an error it
    does not know (None) is a bug, logged with its traceback.
    """
    from plow_tui.client.tokens import SecretStoreError
    from plow_tui.logs import configure_logging

    take_back_ctrl_c()
    log_path = None
    try:
        log_path = configure_logging()
    except OSError:
        pass  # a read-only home must not stop a command; it just runs unlogged
    try:
        return asyncio.run(command(args))
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # `plow-tui ... tail | head`: the reader left; that is not an error.
        _silence_stdout()
        return ExitCode.OK
    except UsageError as error:
        return fail(error_text(error), ExitCode.USAGE)
    except SecretStoreError as error:
        return fail(error_text(error), ExitCode.ERROR)
    except Exception as error:
        explained = explain(error, args)
        if explained is not None:
            code, hint = explained
            return fail(f"{error_text(error)} {hint}" if hint else error_text(error), code)
        # A bug: still no traceback on screen, but one in the (redacted) log.
        import logging

        logging.getLogger(__name__).exception("unexpected error")
        where = f"; details in {log_path}" if log_path else ""
        return fail(f"Unexpected error ({type(error).__name__}){where}.", ExitCode.ERROR)


def take_back_ctrl_c() -> None:
    """Let SIGINT stop this process even when whoever started it ignored it.

    A shell without job control starts `plow-tui tail &` (or a script, or a CI
    job launched that way) with SIGINT ignored, and Python then leaves it
    ignored: `asyncio.run` installs its Ctrl+C handler only over the default
    one, so `kill -INT` never stopped a tail. Only the main thread may set
    signal handlers; a command run on another thread (tests) keeps them.
    """
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def fail(message: str, code: int) -> int:
    """Print `plow-tui: message` on stderr (made safe for the terminal) and return `code`.

    Pass an error through `error_text` first: it redacts secrets, which this
    cannot do once the message is composed.
    """
    print(f"plow-tui: {safe_line(message)}", file=sys.stderr)
    return code


def _silence_stdout() -> None:
    # Later writes (and the interpreter's final flush) must not raise again.
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def non_negative_int(text: str) -> int:
    """argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value
