"""Where plow-tui keeps its files: styles shipped with the package, and per-user directories."""

from __future__ import annotations

from pathlib import Path

APP_NAME = "plow-tui"
_PACKAGE_DIR = Path(__file__).resolve().parent


def styles_dir() -> Path:
    """The directory holding the `*.tcss` files.

    A wheel ships them inside the package (`plow_tui/styles`); an editable
    install or a source checkout has them at the repository root (`styles/`).
    """
    installed = _PACKAGE_DIR / "styles"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "styles"


def config_dir() -> Path:
    """Per-user configuration (and the 0600 secrets fallback file)."""
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def state_dir() -> Path:
    """Per-user state: logs, drafts, crash reports."""
    from platformdirs import user_state_path

    return user_state_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    """Per-user caches: what can be made again from what ships with the package (parsed stylesheets)."""
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)
