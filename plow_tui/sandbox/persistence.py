"""Saving the sandbox world as JSON and restoring it (`plow-tui sandbox --state FILE`).

Only digests of tokens and activation secrets are in the world, so the file
holds no credential; it is still written 0600 since it lists people's numbers.
Tickets are not saved: they live a minute and die with the sockets.

What the file keeps: lines, accounts, token and activation digests, chats
with their members and messages, and the texts each phone received, as of the
last save (the server saves within a quarter second of a change, and on a
clean stop). What it does not keep: tickets, open sockets, faults, and the
random generator. A restored world draws fresh randomness, even with
`--seed`: after a crash the last changes before the kill may be lost, and
replaying the saved random state would hand their ids (already seen by
clients) to new messages. `--seed` makes a fresh world deterministic only.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from dataclasses import asdict
from pathlib import Path
from typing import Any

from plow_tui.private_files import replace_private
from plow_tui.sandbox.records import Account, Activation, Chat, Line, Member, Message, PhoneText, TokenRecord
from plow_tui.sandbox.world import World

FORMAT_VERSION = 1


class StateFileError(Exception):
    """The state file exists but cannot be read as a sandbox world."""


def snapshot(world: World) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "lines": [asdict(ln) for ln in world.lines],
        "accounts": [asdict(a) for a in world.accounts.values()],
        "tokens": {d: asdict(t) for d, t in world.tokens.items()},
        "activations": {d: asdict(a) for d, a in world.activations.items()},
        "chats": [asdict(c) for c in world.chats.values()],
        "phone_texts": {p: [asdict(t) for t in texts] for p, texts in world.phone_texts.items()},
    }


def restore(world: World, data: dict[str, Any]) -> None:
    """Replace the world's contents with a snapshot (then grow the pool if more lines are asked)."""
    try:
        if data.get("format") != FORMAT_VERSION:
            raise StateFileError(f"unsupported state format {data.get('format')!r}")
        lines = [Line(**d) for d in data["lines"]]
        accounts = {a.uid: a for a in (Account(**d) for d in data["accounts"])}
        tokens = {k: TokenRecord(**v) for k, v in data["tokens"].items()}
        activations = {k: Activation(**v) for k, v in data["activations"].items()}
        chats = {}
        for d in data["chats"]:
            members = [Member(**m) for m in d.pop("members")]
            messages = [Message(**m) for m in d.pop("messages")]
            chats[d["uid"]] = Chat(**d, members=members, messages=messages)
        texts = {p: [PhoneText(**t) for t in ts] for p, ts in data["phone_texts"].items()}
    except StateFileError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise StateFileError(f"not a sandbox state file ({exc.__class__.__name__}: {exc})") from None
    world.lines, world.accounts, world.tokens = lines, accounts, tokens
    world.activations, world.chats, world.phone_texts = activations, chats, texts
    if type(world.rng) is random.Random:
        # Never the saved state (older files have one): see the module docstring.
        world.rng.seed(secrets.randbits(128))
    world.reindex_ids()
    world.add_lines(world.config.lines)


def load(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The saved snapshot, or None when there is no file yet."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StateFileError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise StateFileError(f"{path} is not a sandbox state file")
    return data


def save(path: str | os.PathLike[str], data: dict[str, Any]) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a world."""
    replace_private(Path(path), json.dumps(data))
