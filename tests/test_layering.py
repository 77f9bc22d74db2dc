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
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("plow_tui.client", ("textual", "plow_tui.sandbox", "plow_tui.tui")),
        ("plow_tui.sandbox", ("textual", "plow_tui.client", "plow_tui.tui")),
        # The local store serves the app and the CLI alike.
        ("plow_tui.store", ("textual", "plow_tui.sandbox", "plow_tui.tui", "httpx", "websockets")),
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
