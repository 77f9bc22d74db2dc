"""Stylesheets of screens shown only later load when they are first shown, not before the first frame (issue #19)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from app_fakes import fake_app


class _Later(Screen[None]):
    STYLES = ("phone.tcss",)

    def compose(self) -> ComposeResult:
        yield Static("phone", id="phone-title")


def _loaded(app) -> set[str]:  # noqa: ANN001 - a PlowApp
    return {path.rsplit("/", 1)[-1] for path, _ in app.stylesheet.source if path.endswith(".tcss")}


async def test_a_screens_styles_are_read_as_it_is_first_shown() -> None:
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert _loaded(app) == {"app.tcss", "chats.tcss"}  # not phone.tcss, not new_chat.tcss
        screen = _Later()
        await app.push_screen(screen)
        await pilot.pause()
        assert "phone.tcss" in _loaded(app)
        title = screen.query_one("#phone-title", Static)
        assert title.styles.height is not None and title.styles.height.value == 1  # phone.tcss: `height: 1`
        assert title.styles.padding.left == 1
