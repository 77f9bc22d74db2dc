"""The `plow-tui` entry point: parse arguments, resolve settings, run one command.

With no subcommand it opens the Textual app; subcommands are scriptable
(`plow-tui chats --json`, `plow-tui tail CHAT`), as `gh` is. `main` takes its
streams and environment as arguments so tests run commands in-process, as
gh's `iostreams.Test()` does.
"""

from __future__ import annotations

import gc

# What this module loads (the commands' shared options) makes long-lived
# objects, not garbage: no collections while it loads (a few young ones before
# every start). `_main` then freezes them with the rest.
_collecting = gc.isenabled()
gc.disable()
try:
    import contextlib
    import importlib
    import os
    import sys
    from collections.abc import Mapping
    from types import SimpleNamespace
    from typing import IO, TYPE_CHECKING

    from plow_tui import __version__
    from plow_tui.commands import EXIT_CODES_HELP, ExitCode, options
finally:
    if _collecting:
        gc.enable()

if TYPE_CHECKING:
    import argparse

PROG = "plow-tui"
# Modules under plow_tui.commands, each with register(subparsers).
COMMAND_MODULES: tuple[str, ...] = ("sandbox", "app", "plow", "chat", "search", "airy", "config", "completion")

GLOBAL_OPTIONS_HELP = """\
options such as --api-url, --insecure-storage, --name and --no-bell may come
before or after the command (`plow-tui --api-url URL chats` or
`plow-tui chats --api-url URL`); a command lists those it takes. Settings can
also be kept in config.toml: `plow-tui config` shows each value and its source.
"""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: the app's options (no command) and every command's parser."""
    import argparse

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A terminal chat client for Plow. Run with no command to open the app.",
        epilog=GLOBAL_OPTIONS_HELP + "\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"plow-tui {__version__}")
    # No subcommand runs the app; it takes every option that may come before a command.
    options.add(parser, *options.OPTIONS)
    parser.set_defaults(func=_run_app_command())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"plow_tui.commands.{name}").register(subparsers)
    return parser


def _run_app_command():  # noqa: ANN202 - Callable[[Namespace], int]
    return importlib.import_module("plow_tui.commands.app").run_app


# What each kind of flag the app takes sets (argparse's actions of that name).
_FLAG_VALUES = {"store_true": lambda kwargs: True, "store_false": lambda kwargs: False, "store_const": lambda kwargs: kwargs["const"]}


def _parse_app(argv: list[str] | None) -> SimpleNamespace | None:
    """`argv` read as the app's command line (no command), or None when it is anything else.

    Most starts are the app's, and the app takes only the options that may
    come before a command. When `argv` is nothing but those, each spelled in
    full (`--flag`, `--option VALUE`, `--option=VALUE`), reading it needs no
    parser: importing argparse (with gettext) and building even a parser of
    those options alone was ~1% of start-up's instructions, and building
    every command's parser imports every command module. Anything else (a
    command, --help, --version, an abbreviation, a value starting with `-`, a
    value the option's type refuses, a usage error) goes to the full parser,
    so its readings, messages and exit codes stay argparse's. What it returns
    holds what argparse's would (only the options given, as their actions set
    them, and the parser's defaults), less `command` (None: nobody reads it).
    """
    flags = {option.flag: dest for dest, option in options.OPTIONS.items()}
    given: dict[str, object] = {}
    words = iter(sys.argv[1:] if argv is None else argv)
    for word in words:
        flag, inline, value = word.partition("=")
        dest = flags.get(flag)
        if dest is None:
            return None
        kwargs = options.OPTIONS[dest].kwargs
        action = kwargs.get("action")
        if action is not None:
            if inline or action not in _FLAG_VALUES:
                return None
            given[dest] = _FLAG_VALUES[action](kwargs)
            continue
        if not inline:
            value = next(words, None)
            if value is None or value.startswith("-"):
                return None
        convert = kwargs.get("type")
        if convert is not None:
            try:
                value = convert(value)
            except (TypeError, ValueError):
                return None
        given[dest] = value
    return SimpleNamespace(**given, _options=frozenset(options.OPTIONS), _command=PROG, func=_run_app_command())


def parse(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> argparse.Namespace | SimpleNamespace:
    """Parse `argv` and resolve every setting (flag > environment > config.toml > default).

    Raises SystemExit(2) for bad arguments (argparse's way) and ConfigError for a
    config.toml that cannot be used.
    """
    from plow_tui import settings

    env = os.environ if env is None else env
    args = _parse_app(argv)
    parser = None
    if args is None:
        parser = build_parser()
        args = parser.parse_args(argv)
    stray = options.stray(args)
    if stray:
        command = getattr(args, "_command", "plow-tui")
        parser = parser or build_parser()
        parser.error(f"{', '.join(stray)} does not apply to `{command}`")
    given = options.given(args)
    for dest, option in options.OPTIONS.items():
        if dest not in given and dest not in settings.BY_KEY:
            setattr(args, dest, option.default)
    args.env = env
    if getattr(args, "_options", None) or getattr(args, "needs_settings", False):
        flags = {key: getattr(args, key) for key in settings.BY_KEY if hasattr(args, key)}
        args.settings = settings.resolve(flags, env, flag_names=options.FLAG_NAMES)
        for key, value in args.settings.values.items():
            setattr(args, key, value)
    return args


def main(
    argv: list[str] | None = None,
    *,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run `plow-tui` with `argv`; tests pass their own streams and environment.

    The streams are bound process-wide (sys.stdout and friends) for the run, so
    run one command at a time per process when passing them.
    """
    with contextlib.ExitStack() as stack:
        # Commands print to sys.stdout/sys.stderr and read sys.stdin: bind them for this run.
        if stdout is not None:
            stack.enter_context(contextlib.redirect_stdout(stdout))
        if stderr is not None:
            stack.enter_context(contextlib.redirect_stderr(stderr))
        if stdin is not None:
            saved_stdin = sys.stdin
            sys.stdin = stdin
            stack.callback(setattr, sys, "stdin", saved_stdin)
        return _main(argv, env)
    raise AssertionError("unreachable")  # pragma: no cover - ExitStack does not swallow


def _main(argv: list[str] | None, env: Mapping[str, str] | None) -> int:
    # Loading the commands creates only long-lived objects (modules, classes,
    # parsers), yet the cyclic GC would walk them again and again: a quarter
    # of the CPU time before a command starts. Collect nothing while they
    # load, then freeze them so later collections skip them (once per
    # process: tests call main() many times).
    gc.disable()
    try:
        from plow_tui.settings import ConfigError

        args = parse(argv, env)
    except SystemExit as exit:  # --help, --version, or argparse's usage error
        return exit.code if isinstance(exit.code, int) else ExitCode.USAGE if exit.code else ExitCode.OK
    except KeyboardInterrupt:  # Ctrl+C while the commands load (before `ConfigError` may even exist)
        return ExitCode.INTERRUPTED
    except ConfigError as error:
        print(f"plow-tui: {error}", file=sys.stderr)
        return ExitCode.USAGE
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
        gc.enable()
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
