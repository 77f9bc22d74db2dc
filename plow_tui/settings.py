"""Settings a person keeps: one resolver for flag > environment > config.toml > default.

`config.toml` lives in the platform config directory, beside the 0600
`secrets.json` fallback, and holds flat keys only (`api_url = "…"`). It never
holds a secret: a `token` key is refused. A broken file stops the command with
one sentence naming the file, the line and the key (exit 2); nothing is
written or sent first. `write_setting` changes one key and keeps every other
line (comments included): the app remembers the theme picked in its palette.

Light to import (no Textual, no httpx): every command resolves its settings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from plow_tui.record import Record, set_field

CONFIG_NAME = "config.toml"
DEFAULT_API_URL = "https://api.plow.co"
NOTIFICATIONS = ("off", "bell", "desktop")


class ConfigError(Exception):
    """config.toml cannot be used: the message names the file, the line and the key."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("a string")
    return value


def _nonempty_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError("a non-empty string")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("true or false")
    return value


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise TypeError("a positive number of seconds")
    return float(value)


def _notifications(value: Any) -> str:
    if value not in NOTIFICATIONS:
        raise TypeError(" or ".join(f'"{v}"' for v in NOTIFICATIONS))
    return value


# Setting a Record and Resolved a plain class, not dataclasses or named tuples: both are
# read before the app starts, and those compile code as they are defined.
class Setting(Record):
    """One setting: its key (in config.toml and on the parsed command line), default, check and help."""

    __slots__ = ("key", "default", "check", "help", "env")
    frozen = True

    key: str
    default: Any
    check: Callable[[Any], Any]
    help: str
    env: str | None

    def __init__(self, key: str, default: Any, check: Callable[[Any], Any], help: str, env: str | None = None) -> None:  # noqa: A002
        set_field(self, "key", key)
        set_field(self, "default", default)
        set_field(self, "check", check)
        set_field(self, "help", help)
        set_field(self, "env", env)


SETTINGS: tuple[Setting, ...] = (
    Setting("api_url", DEFAULT_API_URL, _nonempty_text, "Plow API base URL", env="PLOW_API_URL"),
    Setting("insecure_storage", False, _boolean, "keep tokens in a 0600 file instead of the system keyring"),
    Setting("name", None, _nonempty_text, "your name for a new account (default: your login name)"),
    Setting("notifications", "bell", _notifications, "when a message arrives in the background: off, bell or desktop"),
    Setting("theme", None, _text, "the app's colour theme (remembered when picked in the palette)"),
    Setting("poll_interval", 3.0, _seconds, "seconds between checks while signing in"),
)
BY_KEY = {setting.key: setting for setting in SETTINGS}
# Keys accepted for another's sake: `bell = false` is `notifications = "off"`.
ALIASES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "bell": ("notifications", lambda on: "bell" if _boolean(on) else "off"),
}
SECRET_KEYS = ("token", "activation_secret", "secret", "password")


def config_path() -> Path:
    """Where config.toml lives (beside the secrets file fallback)."""
    from plow_tui.paths import config_dir

    return config_dir() / CONFIG_NAME


class Resolved:
    """Every setting's effective value and where it came from (`flag --api-url`, `config.toml line 3`, …)."""

    def __init__(self, values: dict[str, Any], sources: dict[str, str], path: Path) -> None:
        self.values = values
        self.sources = sources
        self.path = path

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def resolve(
    flags: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    flag_names: Mapping[str, str] | None = None,
) -> Resolved:
    """Each setting from the first place that has it: `flags` (given options only), `env`, the file, the default.

    Raises ConfigError when the file cannot be used, even for settings a flag overrides:
    a broken file is said at once, not on the day the flag is dropped.
    """
    env = os.environ if env is None else env
    path = config_path() if path is None else path
    stored, lines = read_config(path)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        key = setting.key
        if key in flags:
            values[key] = flags[key]
            sources[key] = f"flag {(flag_names or {}).get(key, key)}"
        elif setting.env and env.get(setting.env):
            values[key] = env[setting.env]
            sources[key] = f"environment {setting.env}"
        elif key in stored:
            values[key] = stored[key]
            sources[key] = f"{path} line {lines[key]}" if key in lines else str(path)
        else:
            values[key] = setting.default
            sources[key] = "default"
    return Resolved(values, sources, path)


def read_config(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The checked settings in `path` (none when it does not exist) and the line of each."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}, {}
    except OSError as error:
        raise ConfigError(f"{path}: cannot read it ({error.strerror or error}).") from None
    import tomllib

    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as error:
        # tomllib's message ends with "(at line N, column M)": the line is in it.
        raise ConfigError(f"{path}: not valid TOML: {error}.") from None
    lines = _key_lines(text)
    settings: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{path}, line {lines[key]}" if key in lines else str(path)
        if key in SECRET_KEYS:
            raise ConfigError(
                f"{where}: `{key}` does not belong here: secrets are kept in the system keyring "
                "(or the 0600 secrets file); remove it, and use PLOW_TOKEN for a one-off token."
            )
        target, check = (key, BY_KEY[key].check) if key in BY_KEY else ALIASES.get(key, (None, None))
        if target is None or check is None:
            known = ", ".join(sorted([*BY_KEY, *ALIASES]))
            raise ConfigError(f"{where}: unknown key `{key}` (known: {known}).")
        try:
            settings[target] = check(value)
        except TypeError as expected:
            raise ConfigError(f"{where}: `{key}` must be {expected}, not {value!r}.") from None
        if key in lines:
            lines.setdefault(target, lines[key])
    return settings, lines


_KEY_LINE = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")
_TABLE_LINE = re.compile(r"^\s*\[")


def _key_lines(text: str) -> dict[str, int]:
    """Each top-level key's line number (tomllib does not say where a valid key sits)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if _TABLE_LINE.match(line):
            table = line.strip().strip("[]").strip().strip('"')
            lines.setdefault(table, number)
            break  # after a table header, keys belong to the table
        match = _KEY_LINE.match(line)
        if match:
            lines.setdefault(next(g for g in match.groups() if g), number)
    return lines


def toml_value(value: str | bool | float | int) -> str:
    """`value` as a TOML literal (basic strings escaped by hand: json's escapes are not all TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def write_setting(key: str, value: str | bool | float | int, path: Path | None = None) -> Path:
    """Set one top-level key in config.toml, keeping every other line; create the file if needed.

    The new text is parsed and checked before it replaces the old file (atomically),
    so a write never leaves a file the next start refuses.
    """
    if key not in BY_KEY:
        raise ValueError(f"not a setting: {key}")
    path = config_path() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    read_config(path)  # a file that is already broken is left for the person to fix
    assignment = f"{key} = {toml_value(value)}"
    lines = text.splitlines()
    aliases = {alias for alias, (target, _) in ALIASES.items() if target == key}
    end = next((i for i, line in enumerate(lines) if _TABLE_LINE.match(line)), len(lines))
    replaced = False
    kept: list[str] = []
    for index, line in enumerate(lines):
        match = _KEY_LINE.match(line) if index < end else None
        name = next((g for g in match.groups() if g), None) if match else None
        if name == key and not replaced:
            kept.append(assignment)
            replaced = True
        elif name == key or name in aliases:
            continue  # a second assignment, or an alias of this key, would contradict the new one
        else:
            kept.append(line)
    if not replaced:
        insert_at = next((i for i, line in enumerate(kept) if _TABLE_LINE.match(line)), len(kept))
        kept.insert(insert_at, assignment)
    new_text = "\n".join(kept) + "\n"
    import tomllib

    tomllib.loads(new_text)  # a bug here must not break the person's file
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(new_text, encoding="utf-8")
    os.replace(temporary, path)
    return path
