"""README.md stays true: its commands are the ones CI runs, and what it names exists.

A newcomer runs README's first command to install and start the app, and its
second to run the tests; `.ci/run` runs both (the first without starting the
app). Comparing the texts keeps them from drifting apart.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from plow_tui.cli import build_parser, main
from support.screenshots import SCENES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
START_APP = " && .venv/bin/plow-tui --sandbox"


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def _code_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"^```\w*\n(.*?)^```", text, re.M | re.S)]


def _quick_start_commands() -> tuple[str, str]:
    blocks = _code_blocks(_section("Quick start"))
    assert len(blocks) == 2, "Quick start should hold exactly two commands: install-and-run, then the tests"
    return blocks[0], blocks[1]


def _ci_lines() -> set[str]:
    return {line.strip() for line in CI_RUN.splitlines()}


def test_install_command_is_what_ci_runs() -> None:
    install_and_run, _ = _quick_start_commands()
    assert "\n" not in install_and_run, "the install command must be one line"
    assert install_and_run.endswith(START_APP), f"the first command should end by starting the app ({START_APP!r})"
    install = install_and_run[: -len(START_APP)]
    assert install.startswith("python3 -m venv .venv && "), "the first command must make a fresh virtual environment"
    assert install in _ci_lines(), f".ci/run must run README's install command verbatim: {install!r}"


def test_test_command_is_what_ci_runs() -> None:
    _, tests = _quick_start_commands()
    assert tests == ".venv/bin/python -m pytest -n 2"
    assert tests in _ci_lines(), f".ci/run must run README's test command verbatim: {tests!r}"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _all_help(parser: argparse.ArgumentParser) -> str:
    """The help text of `parser` and of every subcommand under it, recursively."""
    return parser.format_help() + "".join(_all_help(sub) for sub in _subcommands(parser).values())


def _code_text() -> str:
    """What README shows as code: fenced blocks and `inline spans`."""
    return "\n".join(_code_blocks(README) + re.findall(r"`([^`\n]+)`", README))


def test_every_subcommand_in_readme_exists() -> None:
    mentioned = set(re.findall(r"\bplow-tui ([a-z][a-z-]*)\b", _code_text()))
    assert {"sandbox", "phone", "doctor", "logout", "send", "tail", "airy", "chat", "config", "completion"} <= mentioned
    existing = set(_subcommands(build_parser()))
    assert not mentioned - existing, f"README mentions subcommands plow-tui lacks: {sorted(mentioned - existing)}"


def test_every_option_in_readme_exists() -> None:
    # pytest's and the benchmarks' own options are theirs, not plow-tui's.
    lines = [line for line in README.splitlines() if "pytest" not in line and "benchmarks" not in line]
    mentioned = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", "\n".join(lines)))
    assert {"--sandbox", "--api-url", "--insecure-storage", "--no-bell"} <= mentioned
    help_text = _all_help(build_parser())
    missing = sorted(option for option in mentioned if not re.search(rf"(?<![\w-]){option}\b", help_text))
    assert not missing, f"README mentions options plow-tui lacks: {missing}"


def test_readme_shows_every_screenshot() -> None:
    shown = set(re.findall(r"\]\(screenshots/([^)]+)\)", README))
    assert shown == {scene.filename for scene in SCENES}


def test_performance_section_has_a_place() -> None:
    assert "<!-- PERFORMANCE -->" in README or "## Performance" in README


def test_no_bell_turns_notifications_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # README's configuration table documents --no-bell: it must reach the app.
    from plow_tui.tui.app import PlowApp

    configs = []
    monkeypatch.setattr(PlowApp, "run", lambda self, *a, **k: configs.append(self.config))
    assert main(["--api-url", "http://127.0.0.1:9", "--insecure-storage", "--no-bell"]) == 0
    assert main(["--api-url", "http://127.0.0.1:9", "--insecure-storage"]) == 0
    assert [config.notifications for config in configs] == ["off", "bell"]


def test_configuration_section_lists_every_setting() -> None:
    from plow_tui.settings import ALIASES, SETTINGS

    section = _section("Configuration")
    keys = set(re.findall(r"`([a-z_]+)[` ]", section))
    assert {setting.key for setting in SETTINGS} <= keys
    assert set(ALIASES) <= keys
    assert "config.toml" in section and "plow-tui config" in section
