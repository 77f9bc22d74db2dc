"""Options given before or after a command are never dropped (#15 item 1, #18), run in-process."""

from __future__ import annotations

from support import require_tools

import argparse
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from plow_tui.cli import build_parser, main, parse
from plow_tui.commands import ExitCode, options

URL = "http://127.0.0.1:9"
SAMPLES = {
    "text": "hi", "url": URL, "shell": "bash", "number": "+15551230002",
    "channel_id": "5f1e7c2a-8b4d-4e6f-9a1c-3d2b0e4f6a70", "chat": "Ada", "member": "Bo", "line": "ln_x", "query": "dinner",
}
VALUES = {"api_url": URL, "insecure_storage": True, "name": "Zed", "provision_chat": False, "notifications": "off"}


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every runnable command path (`("airy",)`, `("airy", "send")`, …) and its parser."""
    for name, sub in _children(parser).items():
        yield (*path, name), sub
        yield from _commands(sub, (*path, name))


def _flag(dest: str) -> list[str]:
    option = options.OPTIONS[dest]
    takes_value = option.kwargs.get("action") not in ("store_true", "store_false", "store_const")
    return [option.flag, str(VALUES[dest])] if takes_value else [option.flag]


def _accepting() -> list[tuple[tuple[str, ...], str]]:
    out = []
    for path, parser in _commands(build_parser()):
        if any(isinstance(a, argparse._SubParsersAction) and a.required for a in parser._actions):
            continue  # a group (`chat`): its commands (`chat show`) are the runnable ones
        accepted = parser.get_default("_options") or frozenset()
        out += [(path, dest) for dest in sorted(accepted) if dest in VALUES]
    return out


def _argv_fixed(path: tuple[str, ...]) -> list[str]:
    # Positionals of a parent command come right after its name, before a nested command's name.
    parser = build_parser()
    argv: list[str] = []
    for name in path:
        parser = _children(parser)[name]
        argv.append(name)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction) or action.dest == "help":
                continue
            if not action.option_strings and action.nargs not in ("?", "*"):
                argv.append(SAMPLES[action.dest])
            elif action.required:
                argv += [action.option_strings[0], SAMPLES[action.dest]]
    return argv


@pytest.mark.parametrize(("path", "dest"), _accepting(), ids=lambda v: "-".join(v) if isinstance(v, tuple) else v)
def test_every_command_takes_its_options_before_and_after(path: tuple[str, ...], dest: str) -> None:
    argv = _argv_fixed(path)
    after = parse([*argv, *_flag(dest)], env={})
    assert getattr(after, dest) == VALUES[dest]
    top_level = build_parser().get_default("_options")
    if dest in top_level and (path[0],) in {p for p, d in _accepting() if d == dest} | {("chat",)}:
        before = parse([*_flag(dest), *argv], env={})
        assert getattr(before, dest) == VALUES[dest]
        assert before.func.__qualname__ == after.func.__qualname__
    if dest in ("api_url", "insecure_storage", "name", "notifications"):
        assert after.settings.sources[dest] == f"flag {options.OPTIONS[dest].flag}"


def test_the_check_has_teeth() -> None:
    accepting = {path for path, _ in _accepting()}
    assert {("chats",), ("send",), ("logout",), ("doctor",), ("airy",), ("airy", "send"), ("phone",), ("config",)} <= accepting
    assert {("chat", "new"), ("chat", "show"), ("chat", "delete")} <= accepting
    assert ("activate",) in {p for p, d in _accepting() if d == "name"}


def test_the_last_value_given_wins_and_the_default_never_overwrites() -> None:
    assert parse(["--api-url", URL, "chats"], env={}).api_url == URL
    assert parse(["--api-url", "http://a.test", "chats", "--api-url", URL], env={}).api_url == URL
    args = parse(["--insecure-storage", "--api-url", URL, "logout"], env={"PLOW_API_URL": "http://env.test"})
    assert (args.api_url, args.insecure_storage) == (URL, True)
    assert parse(["chats"], env={"PLOW_API_URL": "http://env.test"}).api_url == "http://env.test"


@pytest.mark.parametrize(
    "argv",
    [
        ["--api-url", URL, "sandbox"],
        ["--insecure-storage", "sandbox"],
        ["--api-url", URL, "airy", URL, "--channel-id", SAMPLES["channel_id"]],
        ["--name", "Zed", "chats"],
        ["--no-bell", "completion", "bash"],
        ["--sandbox", "chats"],
    ],
)
def test_an_option_given_where_it_does_not_apply_is_a_usage_error(argv: list[str]) -> None:
    err = io.StringIO()
    assert main(argv, stdout=io.StringIO(), stderr=err, env={}) == ExitCode.USAGE
    assert "does not apply to `plow-tui" in err.getvalue()


@pytest.mark.parametrize("command", ["airy", "sandbox", "phone", "completion"])
def test_commands_do_not_offer_plows_options(command: str) -> None:
    help_text = _children(build_parser())[command].format_help()
    assert ("--api-url" in help_text) == (command == "phone")  # the phone's is the sandbox's own URL
    if command == "phone":
        assert "the sandbox" in help_text
    if command != "airy":
        assert "--insecure-storage" not in help_text
    else:
        assert "resume token in a 0600 file" in help_text  # Airy's own storage, not Plow's token
        assert "URL [ACTION]" in " ".join(help_text.split())


def test_help_says_where_options_go() -> None:
    out = io.StringIO()
    assert main(["--help"], stdout=out, env={}) == 0
    assert "before or after the command" in " ".join(out.getvalue().split())


def test_doctor_checks_the_url_given_before_the_command(sandbox) -> None:
    out = io.StringIO()
    code = main(["--api-url", sandbox.base_url, "doctor"], stdout=out, stderr=io.StringIO(), env={})
    assert out.getvalue().startswith(f"ok    API: {sandbox.base_url} answers"), out.getvalue()
    assert code == ExitCode.NOT_SIGNED_IN  # no token in this fresh home


def test_logout_before_the_command_clears_that_urls_token_only() -> None:
    from plow_tui.paths import config_dir

    secrets = config_dir() / "secrets.json"
    secrets.parent.mkdir(parents=True, exist_ok=True)
    secrets.write_text(json.dumps({URL: "tok-a-000000", "https://api.plow.co": "tok-live-0000"}))
    secrets.chmod(0o600)
    out = io.StringIO()
    assert main(["--api-url", URL, "--insecure-storage", "logout"], stdout=out, stderr=io.StringIO(), env={}) == 0
    assert f"Signed out of {URL}" in out.getvalue()
    assert json.loads(secrets.read_text()) == {"https://api.plow.co": "tok-live-0000"}


def test_the_chats_path_imports_little() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from plow_tui.cli import parse; parse(['chats'], env={});"
        "import plow_tui.commands.plow, plow_tui.commands.chat, plow_tui.commands.output;"
        "heavy = [m for m in ('textual', 'rich', 'uvicorn', 'websockets', 'starlette', 'shtab', 'keyring') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_come_from_the_parser(shell: str) -> None:
    out = io.StringIO()
    assert main(["completion", shell], stdout=out, env={}) == 0
    script = out.getvalue()
    for word in ("chats", "send", "--api-url", "--insecure-storage", "recreate", "--no-split"):
        assert word.lstrip("-") in script, (shell, word)  # fish writes `-l api-url`
    assert main(["completion", "tcsh"], stdout=io.StringIO(), stderr=io.StringIO(), env={}) == ExitCode.USAGE


def test_bash_completion_loads_and_completes_a_command(tmp_path: Path) -> None:
    import subprocess

    require_tools("bash", why="the system's bash")
    out = io.StringIO()
    main(["completion", "bash"], stdout=out, env={})
    (tmp_path / "plow-tui.bash").write_text(out.getvalue())
    probe = (
        f"source {tmp_path / 'plow-tui.bash'}; COMP_WORDS=(plow-tui cha); COMP_CWORD=1; COMP_LINE='plow-tui cha'; "
        "COMP_POINT=${#COMP_LINE}; _shtab_plow_tui plow-tui cha plow-tui; printf '%s\\n' \"${COMPREPLY[@]}\""
    )
    result = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert set(result.stdout.split()) >= {"chats", "chat"}, result.stdout + result.stderr


def test_ctrl_c_while_the_command_line_is_read_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found by interrupting `plow-tui airy … tail` at random moments: a Ctrl+C
    # while the commands loaded ended in a traceback instead of exit 130.
    import plow_tui.cli

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(plow_tui.cli, "parse", interrupted)
    assert main(["chats"]) == ExitCode.INTERRUPTED
