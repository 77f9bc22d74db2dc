"""Parsed stylesheets kept between runs (tui/style_cache.py): a warm start parses nothing and draws the same."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import textual.css.stylesheet
from textual.app import ComposeResult
from textual.widgets import Static

from support.waits import wait_for

from plow_tui.paths import styles_dir
from plow_tui.tui import style_cache
from plow_tui.tui.app import PlowBaseApp
from plow_tui.tui.style_cache import StyleCache
from plow_tui.tui.widgets.footer import KeyFooter
from plow_tui.tui.widgets.status_bar import StatusBar


class _Shell(PlowBaseApp):
    """Our stylesheets and a few of the main screen's widgets (theirs and Textual's DEFAULT_CSS)."""

    CSS_PATH = [*PlowBaseApp.CSS_PATH, str(styles_dir() / "chats.tcss")]

    def __init__(self, theme: str | None = None, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._wanted_theme = theme

    def compose(self) -> ComposeResult:
        yield StatusBar("https://api.plow.co", id="status")
        yield Static("Chats", id="sidebar-title")
        yield Static("A note", classes="muted")
        yield Static("Careful", classes="warning")
        yield KeyFooter()

    def on_mount(self) -> None:
        if self._wanted_theme:
            self.theme = self._wanted_theme  # a reparse, as a configured theme does


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every source Textual parses from text (its `parse`, as `Stylesheet._parse_rules` calls it)."""
    seen: list[object] = []
    real = textual.css.stylesheet.parse

    def counting(scope, css, read_from, **kwargs):  # noqa: ANN001, ANN202
        seen.append(read_from)
        return real(scope, css, read_from, **kwargs)

    monkeypatch.setattr(textual.css.stylesheet, "parse", counting)
    return seen


async def _screenshot(cache: Path | None, theme: str | None = None) -> str:
    app = _Shell(theme=theme, style_cache=cache)
    async with app.run_test(size=(80, 12)) as pilot:
        # The footer's keys are mounted after its first frame: the picture is taken once they are there.
        await wait_for(pilot, lambda: len(app.query("FooterKey")) >= 2, what="the footer's keys")
        await pilot.pause()
        return app.export_screenshot()


async def test_a_warm_cache_parses_nothing_and_draws_the_same(tmp_path: Path, parses: list[object]) -> None:
    plain = await _screenshot(None)
    parses.clear()
    cache = tmp_path / "cache" / "styles.pickle"
    cold = await _screenshot(cache)
    assert parses, "a cold cache parses"
    assert cache.is_file()
    assert (os.stat(cache).st_mode & 0o777, os.stat(cache.parent).st_mode & 0o777) == (0o600, 0o700)
    parses.clear()
    warm = await _screenshot(cache)
    assert parses == []
    assert cold == plain
    assert warm == plain


async def test_a_theme_set_as_the_app_mounts_is_reparsed_through_the_cache(tmp_path: Path, parses: list[object]) -> None:
    plain = await _screenshot(None, theme="nord")
    cache = tmp_path / "styles.pickle"
    await _screenshot(cache, theme="nord")
    parses.clear()
    assert await _screenshot(cache, theme="nord") == plain
    assert parses == []


async def test_rules_are_the_same_as_parsed(tmp_path: Path) -> None:
    # Equal RuleSets (selectors, styles, flags): what apply() reads.
    from textual.theme import BUILTIN_THEMES

    from plow_tui.tui.style_cache import CachedStylesheet

    variables = BUILTIN_THEMES["textual-dark"].to_color_system().generate()
    css = (styles_dir() / "app.tcss").read_text()
    parsed = textual.css.stylesheet.Stylesheet(variables=variables)._parse_rules(css, ("app.tcss", ""))
    first = CachedStylesheet(StyleCache(tmp_path / "s"), variables=variables)
    first._parse_rules(css, ("app.tcss", ""))
    first.parse()  # saves
    kept = CachedStylesheet(StyleCache(tmp_path / "s"), variables=variables)._parse_rules(css, ("app.tcss", ""))
    assert kept == parsed
    assert [rule.css for rule in kept] == [rule.css for rule in parsed]


async def test_a_damaged_or_shared_cache_file_is_ignored_and_replaced(tmp_path: Path, parses: list[object]) -> None:
    plain = await _screenshot(None)
    cache = tmp_path / "styles.pickle"
    cache.write_bytes(b"not a pickle")
    cache.chmod(0o600)
    parses.clear()
    assert await _screenshot(cache) == plain
    assert parses
    parses.clear()
    await _screenshot(cache)
    assert parses == [], "rewritten whole after the damaged one"

    cache.chmod(0o664)  # its group could have written it: not loaded
    parses.clear()
    assert await _screenshot(cache) == plain
    assert parses
    assert os.stat(cache).st_mode & 0o777 == 0o600


async def test_rules_kept_by_another_textual_are_not_used(
    tmp_path: Path, parses: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "styles.pickle"
    await _screenshot(cache)
    monkeypatch.setattr(style_cache, "_textual_identity", lambda: "another textual")
    parses.clear()
    await _screenshot(cache)
    assert parses
