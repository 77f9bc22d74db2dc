"""`plow-tui completion SHELL`: a completion script for bash, zsh or fish, generated from the parser.

shtab reads the same argparse parser `plow-tui` runs, so a new command or
option completes as soon as it exists. It is imported here only: no other
command pays for it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from plow_tui.commands import ExitCode, options

SHELLS = ("bash", "zsh", "fish")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "completion",
        help="Print a shell completion script (bash, zsh or fish).",
        description="Print a completion script for SHELL. For example, bash: "
        "`plow-tui completion bash > ~/.local/share/bash-completion/completions/plow-tui`; "
        "zsh: `plow-tui completion zsh > ~/.zfunc/_plow-tui` (with ~/.zfunc on $fpath); "
        "fish: `plow-tui completion fish > ~/.config/fish/completions/plow-tui.fish`.",
    )
    parser.add_argument("shell", metavar="SHELL", choices=SHELLS, help="bash, zsh or fish")
    options.add(parser)
    parser.set_defaults(func=run_completion)


def run_completion(args: argparse.Namespace) -> int:
    from plow_tui.cli import build_parser

    script = completion_script(build_parser(), args.shell)
    sys.stdout.write(script if script.endswith("\n") else script + "\n")
    return ExitCode.OK


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    import shtab

    return shtab.complete(parser, shell=shell)
