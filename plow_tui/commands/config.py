"""`plow-tui config`: each setting's effective value and where it came from.

The values are resolved exactly as every other command resolves them (flag >
environment > config.toml > default, in `plow_tui.settings`), so what this
prints is what `plow-tui chats` or the app would use with the same options.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from plow_tui.commands import ExitCode, options


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "config",
        help="Show each setting, its value and where it came from (flag, environment, config.toml, default).",
        description="Show each setting's effective value and where it came from. Settings are kept in "
        "config.toml in the platform config directory (flat `key = value` lines); the options given here "
        "show how they would override it.",
    )
    options.add(parser, "api_url", "insecure_storage", "name", "notifications")
    parser.add_argument("--json", action="store_true", help='print {"path": …, "settings": {key: {"value", "source"}}}')
    parser.add_argument("--path", action="store_true", help="print only the config file's path")
    parser.set_defaults(func=run_config, needs_settings=True)


def run_config(args: argparse.Namespace) -> int:
    from plow_tui.commands.output import table
    from plow_tui.settings import SETTINGS
    from plow_tui.terminal_text import safe_json, safe_line

    resolved = args.settings
    if args.path:
        print(resolved.path)
        return ExitCode.OK
    if args.json:
        settings = {s.key: {"value": resolved[s.key], "source": resolved.sources[s.key]} for s in SETTINGS}
        print(safe_json({"path": str(resolved.path), "settings": settings}, indent=2))
        return ExitCode.OK
    rows = [[s.key, safe_line(_shown(resolved[s.key])), safe_line(resolved.sources[s.key])] for s in SETTINGS]
    table(["SETTING", "VALUE", "SOURCE"], rows, env=args.env)
    if sys.stdout.isatty():
        state = "" if resolved.path.exists() else " (not created yet)"
        print(f"\nconfig file: {resolved.path}{state}")
    return ExitCode.OK


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
