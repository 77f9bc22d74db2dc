"""What keeps start-up light (issue #19): imports skipped, the cyclic GC kept out of loading."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _run(code: str) -> list:
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout)


def test_httpx_command_line_client_is_not_loaded() -> None:
    # httpx's own CLI (click, rich.console, pygments) was ~40 % of `import httpx` (issue #19).
    loaded = _run(
        "import json, sys\n"
        "import plow_tui.client.http\n"
        "print(json.dumps([m for m in ('click', 'pygments', 'rich') if m in sys.modules]))"
    )
    assert loaded == []


@pytest.mark.skipif(sys.platform == "darwin", reason="the Keychain bindings are the real backend there")
def test_keyring_picks_the_same_backend_without_running_find_library() -> None:
    # keyring's macOS bindings ran gcc and ldconfig (ctypes.util.find_library) on every start.
    probe = (
        "import ctypes.util, json{extra}\n"
        "calls = []\n"
        "real = ctypes.util.find_library\n"
        "ctypes.util.find_library = lambda name: calls.append(name) or real(name)\n"
        "import keyring\n"
        "print(json.dumps([type(keyring.get_keyring()).__module__, calls]))"
    )
    plain_backend, _ = _run(probe.format(extra=""))
    backend, calls = _run(probe.format(extra=", plow_tui"))
    assert calls == []
    assert backend == plain_backend


def test_httpcore_finds_sniffio() -> None:
    # Missing, httpcore searched sys.path for it four times per request (issue #19).
    import importlib.util

    assert importlib.util.find_spec("sniffio") is not None, "pyproject.toml lists sniffio"


def test_commands_start_with_what_loaded_frozen_and_the_gc_on() -> None:
    # Collecting while the commands load walked the same long-lived objects over and over.
    seen = _run(
        "import gc, json\n"
        "from plow_tui import cli\n"
        "seen = {}\n"
        "def command(args):\n"
        "    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count())\n"
        "    return 0\n"
        "cli._run_app_command = lambda: command\n"
        "cli.main([])\n"
        "print(json.dumps(seen))"
    )
    assert seen["enabled"] and seen["frozen"] > 10_000, seen


def test_the_command_lines_modules_load_with_the_collector_off() -> None:
    # They make long-lived objects only: young collections while they loaded were wasted.
    seen = _run(
        "import gc, json, sys\n"
        "seen = []\n"
        "class Spy:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name in ('plow_tui.commands', 'plow_tui.commands.options'):\n"
        "            seen.append(gc.isenabled())\n"
        "sys.meta_path.insert(0, Spy())\n"
        "import plow_tui.cli\n"
        "print(json.dumps([seen, gc.isenabled()]))"
    )
    assert seen == [[False, False], True]


def test_the_app_runs_with_the_collector_off_until_it_turns_it_on(tmp_path) -> None:
    # Some fifty young collections ran between `App.run` and the first frame (~15 ms);
    # the app turns the collector on after it (test_app_callbacks), `run_app` once it ends.
    code = (
        "import gc, json, os\n"
        f"os.environ.update(XDG_STATE_HOME={str(tmp_path)!r}, XDG_CONFIG_HOME={str(tmp_path)!r})\n"
        "from plow_tui import cli\n"
        "from plow_tui.tui.app import PlowApp\n"
        "seen = {}\n"
        "PlowApp.run = lambda self: seen.update(running=gc.isenabled())\n"
        "cli.main(['--api-url', 'http://127.0.0.1:9'])\n"
        "seen.update(after=gc.isenabled())\n"
        "print(json.dumps(seen))"
    )
    assert _run(code) == {"running": False, "after": True}


def test_the_app_starts_without_building_any_parser() -> None:
    # Building every subcommand's parser imported every command module: a third
    # of the time before the app started; argparse itself (with gettext) and a
    # parser of the app's options alone were ~1% of start-up (issue #19).
    loaded = _run(
        "import json, sys\n"
        "from plow_tui.cli import parse\n"
        "args = parse(['--api-url', 'http://127.0.0.1:9', '--no-bell'], env={})\n"
        "assert args.func.__name__ == 'run_app', args\n"
        "print(json.dumps(sorted(m for m in sys.modules if m in ('argparse', 'gettext') or m.startswith('plow_tui.commands.')\n"
        "                        and m not in ('plow_tui.commands.app', 'plow_tui.commands.options'))))"
    )
    assert loaded == []


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--api-url", "http://127.0.0.1:9", "--name", "chats", "--no-chat", "--no-bell", "--insecure-storage"],
        ["--api-url=http://127.0.0.1:9", "--sandbox", "--seed", "7"],
        ["--api-url=", "--name=-x", "--seed= 8", "--no-bell", "--no-bell"],
        ["--name", "", "--api-url", "http://a?b=c", "--name=x=y", "--seed", "1_000"],
    ],
)
def test_the_apps_lean_parse_reads_the_command_line_as_the_full_parser_does(argv: list[str]) -> None:
    from plow_tui import cli

    lean = cli._parse_app(argv)
    assert lean is not None
    full = cli.build_parser().parse_args(argv)
    assert {**vars(lean), "command": None} == vars(full)


@pytest.mark.parametrize(
    "argv",
    [
        ["chats"], ["--help"], ["--version"], ["--bogus"], ["--api-url"], ["--n", "x"], ["--name", "x", "chats"],
        ["--api", "http://127.0.0.1:9"],  # argparse's abbreviations: read as argparse reads them
        ["--seed", "-5"], ["--name", "-x"], ["--seed", "x"], ["--seed="], ["--no-bell=off"], ["--"], ["-h"],
    ],
)  # fmt: skip
def test_anything_but_the_app_goes_to_the_full_parser(argv: list[str]) -> None:
    from plow_tui import cli

    assert cli._parse_app(argv) is None



def test_the_main_screens_first_frame_loads_neither_the_live_stream_nor_the_keys_screen() -> None:
    # The stream's events (~5 ms of dataclasses) and the keys screen (rich's
    # tables) were imported before the first frame that needs neither (issue #19).
    loaded = _run(
        "import json, sys\n"
        "from plow_tui.tui.app import PlowApp\n"
        "from plow_tui.tui.plow import chats\n"
        "print(json.dumps(sorted(m for m in ('plow_tui.client.stream', 'plow_tui.client.events',\n"
        "                                    'plow_tui.tui.screens.help') if m in sys.modules)))"
    )
    assert loaded == []


def test_the_app_starts_without_what_its_first_frame_does_not_use(tmp_path) -> None:
    # The sandbox phone's client (a dataclass, JSON, URLs), search and the panes' switcher
    # were loaded before the main screen's first frame that uses none of them (issue #19).
    code = (
        "import json, os, sys\n"
        f"os.environ.update(XDG_STATE_HOME={str(tmp_path)!r}, XDG_CONFIG_HOME={str(tmp_path)!r})\n"
        "from plow_tui import cli\n"
        "from plow_tui.tui.app import PlowApp\n"
        "import plow_tui.store.history\n"
        "unused = ('plow_tui.client.phone', 'plow_tui.store.search', 'textual.widgets._content_switcher')\n"
        "seen = []\n"
        "PlowApp.run = lambda self: seen.extend(m for m in unused if m in sys.modules)\n"
        "cli.main(['--api-url', 'http://127.0.0.1:9'])\n"
        "print(json.dumps(seen))"
    )
    assert _run(code) == []


def test_what_the_app_loads_before_its_first_frame_defines_no_dataclass_or_named_tuple(tmp_path) -> None:
    # A dataclass compiles its generated methods with exec as it is defined, a named tuple
    # its __new__ (~1.7 and ~0.7 ms each on Python 3.11): the resources, view models,
    # unsent texts, the app's config, the book's answers, settings and options are Records (issue #19).
    code = (
        "import dataclasses, json, os, sys\n"
        f"os.environ.update(XDG_STATE_HOME={str(tmp_path)!r}, XDG_CONFIG_HOME={str(tmp_path)!r})\n"
        "from plow_tui import cli\n"
        "from plow_tui.tui.app import PlowApp\n"
        "import plow_tui.store.history, plow_tui.store.writer, plow_tui.store.legacy_drafts\n"
        "found = []\n"
        "def look():\n"
        "    for name, module in list(sys.modules.items()):\n"
        "        if not name.startswith('plow_tui'):\n"
        "            continue\n"
        "        classes = [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == name]\n"
        "        classes += [n for c in classes for n in vars(c).values() if isinstance(n, type) and n.__module__ == name]\n"
        "        made = [c for c in classes if dataclasses.is_dataclass(c) or (issubclass(c, tuple) and hasattr(c, '_fields'))]\n"
        "        found.extend(f'{name}.{c.__qualname__}' for c in made)\n"
        "PlowApp.run = lambda self: look()\n"
        "cli.main(['--api-url', 'http://127.0.0.1:9'])\n"
        "print(json.dumps(sorted(set(found))))"
    )
    assert _run(code) == []


def test_a_token_not_known_yet_opens_no_store_and_loads_no_sqlite(tmp_path) -> None:
    # The first start (no account learnt yet) loaded the store's module and sqlite3
    # before the first frame, to answer None (issue #19).
    loaded = _run(
        "import json, sys\n"
        "from pathlib import Path\n"
        "from plow_tui.store.location import Histories\n"
        f"store = Histories('http://127.0.0.1:9', root=Path({str(tmp_path)!r})).open_known('plw_not_seen_yet')\n"
        "print(json.dumps([store is None, sorted(m for m in ('sqlite3', 'plow_tui.store.history') if m in sys.modules)]))"
    )
    assert loaded == [True, []]


def test_the_clients_start_defines_no_other_app(tmp_path) -> None:
    # Defining a Textual app class takes ~0.5 ms; the phone's and Airy's apps were
    # defined beside PlowApp, before its first frame (issue #19).
    code = (
        "import json, os, sys\n"
        f"os.environ.update(XDG_STATE_HOME={str(tmp_path)!r}, XDG_CONFIG_HOME={str(tmp_path)!r})\n"
        "from textual.app import App\n"
        "from plow_tui import cli\n"
        "from plow_tui.tui.app import PlowApp\n"
        "found = []\n"
        "def look():\n"
        "    for name, module in list(sys.modules.items()):\n"
        "        if name.startswith('plow_tui'):\n"
        "            found.extend(c.__name__ for c in vars(module).values()\n"
        "                         if isinstance(c, type) and issubclass(c, App) and c.__module__ == name)\n"
        "PlowApp.run = lambda self: look()\n"
        "cli.main(['--api-url', 'http://127.0.0.1:9'])\n"
        "print(json.dumps(sorted(found)))"
    )
    assert _run(code) == ["PlowApp", "PlowBaseApp"]
