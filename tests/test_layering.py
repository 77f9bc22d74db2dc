"""The layering of ARCHITECTURE.md: client and sandbox never load Textual or each other; inside tui/, widgets know no backend."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

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
        # The local store serves the app and the CLI alike.
        ("plow_tui.store", ("textual", "plow_tui.sandbox", "plow_tui.tui", "httpx", "websockets")),
        # `plow-tui --help` must stay fast: heavy imports happen inside commands.
        ("plow_tui.cli", ("textual", "httpx", "websockets", "uvicorn", "keyring")),
        # The one private-file writer serves the client, the store and the sandbox: it needs none of them.
        ("plow_tui.private_files", ("textual", "httpx", "plow_tui.client", "plow_tui.store", "plow_tui.sandbox", "plow_tui.tui")),
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



# -- inside tui/: neutral widgets, wings that do not lean on each other, no loops --------

TUI = Path(__file__).resolve().parents[1] / "plow_tui" / "tui"


def _imports(path: Path, *, everywhere: bool) -> set[str]:
    """The plow_tui modules `path` imports: all of them (`everywhere`), or only those run at import time.

    Imports inside functions and `if TYPE_CHECKING:` blocks do not run when
    the module loads, so they cannot make an import loop; they still count as
    what a module knows about.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if everywhere or top:
                    found.add(child.module)
                    found.update(f"{child.module}.{alias.name}" for alias in child.names)
            elif isinstance(child, ast.Import) and (everywhere or top):
                found.update(alias.name for alias in child.names)
            deferred = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            )
            visit(child, top and not deferred)

    visit(tree, True)
    return {name for name in found if name.startswith("plow_tui")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(TUI.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_widgets_know_no_backend() -> None:
    # Not even for type hints: a widget takes view models and posts messages.
    forbidden = ("plow_tui.client", "plow_tui.tui.plow", "plow_tui.tui.airy", "plow_tui.tui.app", "plow_tui.tui.screens")
    leaks = {
        _module_name(path): sorted(m for m in _imports(path, everywhere=True) if m.startswith(forbidden))
        for path in sorted((TUI / "widgets").rglob("*.py"))
    }
    assert {k: v for k, v in leaks.items() if v} == {}


def test_a_wing_does_not_import_the_other() -> None:
    for wing, other in (("plow", "plow_tui.tui.airy"), ("airy", "plow_tui.tui.plow")):
        for path in sorted((TUI / wing).rglob("*.py")):
            assert not [m for m in _imports(path, everywhere=True) if m.startswith(other)], path


def test_widgets_load_without_the_client() -> None:
    loaded = _modules_loaded_by("plow_tui.tui.widgets")
    assert sorted(m for m in loaded if m.startswith(("plow_tui.client", "plow_tui.tui.plow", "plow_tui.tui.airy"))) == []


def test_tui_modules_import_no_loop() -> None:
    modules = {_module_name(path): path for path in TUI.rglob("*.py")}
    graph = {
        name: {m for m in _imports(path, everywhere=False) if m in modules and m != name} for name, path in modules.items()
    }
    loops = []

    def walk(name: str, trail: list[str]) -> None:
        for target in sorted(graph[name]):
            if target in trail:
                loops.append(trail[trail.index(target) :] + [target])
            elif target not in done:
                walk(target, trail + [target])
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        walk(name, [name])
    assert loops == []
