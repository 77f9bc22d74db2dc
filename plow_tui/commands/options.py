"""The options that may come before or after a subcommand (`--api-url`, `--insecure-storage`, …).

argparse gives each subparser its own defaults, and a subparser's default used
to overwrite the value given before the command (`plow-tui --api-url URL chats`
went to the live API). So here every such option is declared with a
`SUPPRESS` default on the top-level parser and on each command it applies to:
an option lands on the namespace only when it is given, before or after the
command, and `apply` then fills the rest from the settings resolver
(flag > environment > config.toml > default). A command lists only the
options that apply to it; one given before a command it does not apply to is
a usage error, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from plow_tui.record import Record, set_field

if TYPE_CHECKING:
    import argparse  # loaded with the first parser: the app's start reads its options without one


# A Record, not a dataclass or a named tuple: read before the app starts, and those
# compile code as they are defined (~1.7 and ~0.7 ms each on Python 3.11).
class Option(Record):
    """One option that may be given before or after a command; `default` for those that are not settings."""

    __slots__ = ("flag", "kwargs", "default", "hidden")
    frozen = True

    flag: str
    kwargs: Mapping[str, Any]  # argparse's add_argument keywords
    default: Any
    hidden: bool  # left out of --help

    def __init__(self, flag: str, kwargs: Mapping[str, Any], default: Any = None, hidden: bool = False) -> None:
        set_field(self, "flag", flag)
        set_field(self, "kwargs", kwargs)
        set_field(self, "default", default)
        set_field(self, "hidden", hidden)


OPTIONS: dict[str, Option] = {
    "api_url": Option(
        "--api-url",
        {"metavar": "URL", "help": "Plow API base URL (default: $PLOW_API_URL, then config.toml, then https://api.plow.co)"},
    ),
    "insecure_storage": Option(
        "--insecure-storage",
        {"action": "store_true", "help": "keep tokens in a 0600 file instead of the system keyring"},
    ),
    "name": Option("--name", {"help": "your name for a new account (default: config.toml, then your login name)"}),
    "provision_chat": Option(
        "--no-chat",
        {"action": "store_false", "help": "sign in without creating a chat with your phone"},
        default=True,
    ),
    "notifications": Option(
        "--no-bell",
        {"action": "store_const", "const": "off", "help": "no bell or notice when a message arrives in the background"},
    ),
    "sandbox": Option(
        "--sandbox",
        {
            "action": "store_true",
            "help": "run against a local sandbox started in-process (no account, no network); "
            "tokens are kept in memory only",
        },
        default=False,
    ),
    "seed": Option("--seed", {"type": int, "metavar": "N"}, default=None, hidden=True),
}
PLOW = ("api_url", "insecure_storage")  # what every Plow command takes
FLAG_NAMES = {dest: option.flag for dest, option in OPTIONS.items()}


def add(parser: argparse.ArgumentParser, *dests: str, help: Mapping[str, str] | None = None) -> None:
    """Offer the options `dests` on `parser` (before or after its command), with `help` overriding theirs."""
    import argparse

    for dest in dests:
        option = OPTIONS[dest]
        kwargs = dict(option.kwargs)
        if help and dest in help:
            kwargs["help"] = help[dest]
        if option.hidden:
            kwargs["help"] = argparse.SUPPRESS
        parser.add_argument(option.flag, dest=dest, default=argparse.SUPPRESS, **kwargs)
    parser.set_defaults(_options=frozenset(dests), _command=parser.prog)


def given(args: object) -> dict[str, Any]:
    """The options that were given (only those are on the namespace: their defaults are SUPPRESS)."""
    return {dest: getattr(args, dest) for dest in OPTIONS if hasattr(args, dest)}


def stray(args: object) -> list[str]:
    """The flags given that the chosen command does not take."""
    accepted = getattr(args, "_options", frozenset(OPTIONS))
    return [OPTIONS[dest].flag for dest in given(args) if dest not in accepted]
