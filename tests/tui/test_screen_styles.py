"""How the main screen is styled: once as it is first shown, and the sidebar's title follows the focus."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode

from support.demo_data import chats_app
from support.screenshots import main_screen, open_chat
from support.waits import wait_for

from plow_tui.tui.plow.chats import ChatsScreen


def _styles_of(screen: DOMNode) -> dict[int, Any]:
    """Every node's rules from the stylesheet, its component classes' too."""
    seen: dict[int, Any] = {}
    for node in screen.walk_children(with_self=True):
        components = {name: styles.get_rules() for name, styles in node._component_styles.items()}
        seen[id(node)] = (type(node).__name__, node.styles.base.get_rules(), components)
    return seen


async def test_the_main_screen_is_not_restyled_whole_as_it_is_first_shown(monkeypatch: Any) -> None:
    # Textual restyles every widget of a screen as it resumes; the first time its widgets had just been styled.
    restyled: list[str] = []
    update_styles = App.update_styles

    def spy(self: App[Any], node: DOMNode, animate: bool = True) -> None:
        restyled.append(type(node).__name__)
        update_styles(self, node, animate)

    monkeypatch.setattr(App, "update_styles", spy)
    app = chats_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await main_screen(pilot)
        await pilot.pause()
        assert "ChatsScreen" not in restyled


async def test_nothing_is_lost_by_not_restyling_the_first_time() -> None:
    # What a whole restyle would give, the screen has already (it would otherwise draw something else).
    app = chats_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        await open_chat(pilot, screen, "cht_ada")
        await pilot.pause()
        before = _styles_of(screen)
        Stylesheet.update(app.stylesheet, screen, animate=False)
        assert _styles_of(screen) == before


async def test_the_sidebar_title_is_lit_while_the_focus_is_in_the_sidebar() -> None:
    app = chats_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        assert isinstance(screen, ChatsScreen)
        title = screen.query_one("#sidebar-title")
        dim = screen.query_one("#no-chat").styles.background  # the title's own background is $boost over it
        lit = await wait_for(pilot, lambda: title.styles.background if title.has_class("-focused") else None, what="lit")
        assert lit != dim
        pane = await open_chat(pilot, screen, "cht_ada")  # the editor takes the focus
        await wait_for(pilot, lambda: not title.has_class("-focused"), what="the title dimmed")
        assert title.styles.background != lit
        screen.query_one("ChatList").focus()
        await wait_for(pilot, lambda: title.styles.background == lit, what="lit again")
        pane.conversation.focus()
        await wait_for(pilot, lambda: title.styles.background != lit, what="dimmed again")


async def test_a_focus_change_while_the_screen_is_taken_down_is_ignored() -> None:
    # Focus events can still arrive as the screen's widgets go (quitting, signing out).
    app = chats_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        await screen.query_one("#sidebar").remove()
        screen._mark_sidebar_focus()  # raised NoMatches (a crash in a message handler)
