"""The layering of ARCHITECTURE.md: client and sandbox never load Textual or each other."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _modules_loaded_by(module: str) -> set[str]:
    # Import the package and every module below it, as a user of any part would.
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"pkg = importlib.import_module({module!r})\n"
        "for info in pkgutil.walk_packages(getattr(pkg, '__path__', []), pkg.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        # None marks a module plow_tui keeps from loading (see plow_tui/__init__.py).
        "print(json.dumps(sorted(name for name, module in sys.modules.items() if module is not None)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("plow_tui.client", ("textual", "plow_tui.sandbox", "plow_tui.tui")),
        ("plow_tui.sandbox", ("textual", "plow_tui.client", "plow_tui.tui")),
        # `plow-tui --help` must stay fast: heavy imports happen inside commands.
        ("plow_tui.cli", ("textual", "httpx", "websockets", "uvicorn", "keyring")),
        # The one terminal sanitiser serves the CLI too: no Textual, no Rich.
        ("plow_tui.terminal_text", ("textual", "rich", "httpx")),
    ],
)
def test_layer_does_not_import(module: str, forbidden: tuple[str, ...]) -> None:
    loaded = _modules_loaded_by(module)
    leaked = sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden))
    assert leaked == [], f"{module} pulled in {leaked}"


def test_styles_dir_holds_the_stylesheets() -> None:
    from plow_tui.paths import styles_dir

    assert sorted(p.name for p in styles_dir().glob("*.tcss")), styles_dir()


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
