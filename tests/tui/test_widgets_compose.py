"""Behaviour of the Compose editor, driven through a tiny host app."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from plow_tui.tui.widgets.compose import PLACEHOLDER, Compose

SIZE = (100, 30)


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.animation_level = "none"
        self.sent: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("above", id="above")
            yield Compose()

    def on_mount(self) -> None:
        self.query_one(Compose).focus()

    def on_compose_submitted(self, message: Compose.Submitted) -> None:
        self.sent.append(message.text)


async def test_enter_submits_without_inserting_a_newline() -> None:
    async with Host().run_test(size=SIZE) as pilot:
        compose = pilot.app.query_one(Compose)
        await pilot.press(*"hello", "enter")
        assert pilot.app.sent == ["hello"]
        # The screen clears the draft once the send is accepted, not the editor.
        assert compose.draft == "hello"
        compose.draft = ""
        await pilot.press("space", "space", "enter")
        assert pilot.app.sent == ["hello"]  # blank drafts are not sent


async def test_alt_enter_and_ctrl_j_insert_newlines() -> None:
    async with Host().run_test(size=SIZE) as pilot:
        compose = pilot.app.query_one(Compose)
        await pilot.press("a", "alt+enter", "b", "ctrl+j", "c")
        assert compose.draft == "a\nb\nc"
        await pilot.press("enter")
        assert pilot.app.sent == ["a\nb\nc"]


async def test_grows_to_five_lines_then_scrolls() -> None:
    async with Host().run_test(size=SIZE) as pilot:
        compose = pilot.app.query_one(Compose)
        await pilot.pause()
        assert compose.size.height == 1
        await pilot.press("a", "ctrl+j", "b", "ctrl+j", "c")
        await pilot.pause()
        assert compose.size.height == 3
        compose.draft = "\n".join("line" for _ in range(12))
        await pilot.pause()
        assert compose.size.height == 5
        assert compose.scroll_y > 0  # the cursor (at the end) stays visible


async def test_long_lines_soft_wrap() -> None:
    async with Host().run_test(size=SIZE) as pilot:
        compose = pilot.app.query_one(Compose)
        compose.draft = "word " * 40
        await pilot.pause()
        assert compose.size.height > 1 and compose.max_scroll_x == 0


async def test_draft_round_trips_and_puts_the_cursor_at_the_end() -> None:
    async with Host().run_test(size=SIZE) as pilot:
        compose = pilot.app.query_one(Compose)
        compose.draft = "half-written\nthought"
        await pilot.press("!")
        assert compose.draft == "half-written\nthought!"


async def test_disabled_reason_shows_but_still_allows_a_draft() -> None:
    async with Host().run_test(size=SIZE) as pilot:
        compose = pilot.app.query_one(Compose)
        assert compose.placeholder == PLACEHOLDER
        compose.disabled_reason = "waiting for members to verify"
        await pilot.pause()
        assert "waiting for members to verify" in compose.render_line(0).text
        await pilot.press(*"hi", "enter")
        assert compose.draft == "hi" and pilot.app.sent == []
        compose.disabled_reason = None
        assert compose.placeholder == PLACEHOLDER
        await pilot.press("enter")
        assert pilot.app.sent == ["hi"]


def _theme_styles(compose: Compose) -> tuple[object, ...]:
    theme = compose._theme
    assert theme is not None
    return (theme.base_style, theme.cursor_style, theme.selection_style, theme.gutter_style, theme.bracket_matching_style)


async def test_typing_does_not_work_out_the_theme_styles_again() -> None:
    # TextArea applies the CSS to its theme at every render: a third of a typed key's frame.
    async with Host().run_test(size=SIZE) as pilot:
        compose = pilot.app.query_one(Compose)
        await pilot.pause()
        theme = compose._theme
        assert theme is not None
        applied: list[int] = []
        apply_css = theme.apply_css
        theme.apply_css = lambda text_area: (applied.append(1), apply_css(text_area))[1]  # type: ignore[method-assign]
        for key in "hello":
            await pilot.press(key)
            await pilot.pause()
        assert compose.draft == "hello"
        assert applied == []


async def test_the_theme_styles_follow_a_new_theme_the_focus_and_the_editor_css() -> None:
    async with Host().run_test(size=SIZE) as pilot:
        app = pilot.app
        compose = app.query_one(Compose)
        await pilot.pause()

        async def fresh() -> tuple[object, ...]:
            # What the editor painted with vs the styles worked out from scratch now.
            await pilot.press("x")
            await pilot.pause()
            painted = _theme_styles(compose)
            assert compose._theme is not None
            compose._theme.apply_css(compose)
            assert painted == _theme_styles(compose)
            return painted

        first = await fresh()
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        assert await fresh() != first
        second = await fresh()
        compose.styles.color = "red"
        await pilot.pause()
        assert await fresh() != second
        compose.blur()
        await pilot.pause()
        compose.refresh()
        await pilot.pause()
        painted = _theme_styles(compose)
        compose._theme.apply_css(compose)  # type: ignore[union-attr]
        assert painted == _theme_styles(compose)
