"""The `plow-tui` entry point: parse arguments, build the pieces, run one of them.

With no subcommand it opens the Textual app; subcommands are scriptable
(`plow-tui chats --json`, `plow-tui tail CHAT`), as `gh` is.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from plow_tui import __version__
from plow_tui.commands import EXIT_CODES_HELP, ExitCode

DEFAULT_API_URL = "https://api.plow.co"

# Modules under plow_tui.commands, each with register(subparsers, common).
COMMAND_MODULES: tuple[str, ...] = ("sandbox", "app", "plow", "search", "airy")


def default_api_url() -> str:
    return os.environ.get("PLOW_API_URL") or DEFAULT_API_URL


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand (and the app) accepts."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--api-url",
        default=default_api_url(),
        help="Plow API base URL (default: $PLOW_API_URL or %(default)s)",
    )
    common.add_argument(
        "--insecure-storage",
        action="store_true",
        help="keep tokens in a 0600 file instead of the system keyring",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="plow-tui",
        description="A terminal chat client for Plow. Run with no command to open the app.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"plow-tui {__version__}")
    # No subcommand runs the app; its own options (--sandbox, --name) live with it.
    app_command = importlib.import_module("plow_tui.commands.app")
    app_command.add_app_arguments(parser)
    parser.set_defaults(func=app_command.run_app)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"plow_tui.commands.{name}").register(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        return int(func(args))
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
