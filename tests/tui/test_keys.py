"""Keys that work from where you are: Esc out of the editor, F1/F2 from anywhere, our words only.

Against the in-memory fakes of `support.demo_data` (no network needed to
check where keys go), at 120x40 and 80x24: the footer must say the key that
matters at both sizes.
"""

from __future__ import annotations

import pytest

from support import demo_data
from plow_tui.tui.screens.confirm import ConfirmScreen
from plow_tui.tui.screens.help import KeysScreen
from support.screenshots import failed_chat, open_chat, main_screen, screen_text, wait_for
from plow_tui.tui.widgets.compose import Compose
from plow_tui.tui.widgets.conversation import Conversation
from plow_tui.tui.widgets.chat_list import ChatList

SIZES = [(120, 40), (80, 24)]
# Textual's own bindings, in its words: never on our keys screen or palette.
TEXTUAL_NOISE = ("Scroll Left", "Scroll Right", "Page Left", "Page Right", "Focus Next", "Copy selected text", "as soon as possible")


def footer(app) -> str:
    return screen_text(app).splitlines()[-1]


async def _editor_open(pilot):
    screen = await main_screen(pilot)
    pane = await open_chat(pilot, screen, "cht_ada")
    await wait_for(pilot, lambda: isinstance(pilot.app.focused, Compose), what="the editor focused")
    return screen, pane


async def _messages_focused_with_no_draft(pilot):
    """A chat open, its editor empty, the focus on its messages (where typing starts a text)."""
    screen, pane = await _editor_open(pilot)
    pane.compose_box.draft = ""
    await pilot.press("escape")
    await wait_for(pilot, lambda: pilot.app.focused is pane.conversation, what="the messages focused")
    return screen, pane


@pytest.mark.parametrize("size", SIZES)
async def test_escape_leaves_the_editor_for_the_messages_and_the_footer_says_so(size) -> None:
    app = demo_data.chats_app()
    async with app.run_test(size=size) as pilot:
        _, pane = await _editor_open(pilot)
        assert "esc Messages" in footer(app)
        assert "f1 Keys" in footer(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.focused is pane.conversation, what="the messages focused")
        assert "esc Messages" not in footer(app)
        assert "d Delete" in footer(app)  # one-letter keys work here, and say so


@pytest.mark.parametrize("size", SIZES)
async def test_f1_shows_our_keys_from_the_editor(size) -> None:
    app = demo_data.chats_app()
    async with app.run_test(size=size) as pilot:
        _, pane = await _editor_open(pilot)
        pane.compose_box.draft = "half a thought"
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), what="the keys")
        text = screen_text(app)
        assert "Messages" in text and "Chat list → messages → editor" in text
        for noise in TEXTUAL_NOISE:
            assert noise not in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, KeysScreen))
        assert pane.compose_box.draft == "half a thought"
        # `?` is text in the editor, and the keys from the messages.
        await pilot.press("question_mark")
        assert pane.compose_box.draft == "half a thought?" and not isinstance(app.screen, KeysScreen)
        pane.conversation.focus()
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), what="the keys from the messages")
        listed = " ".join(f"{keys} {words}" for keys, words in app.screen.rows)  # all of it, even scrolled away
        assert "Oldest message" in listed and "f1 / ? Keys" in listed
        for noise in TEXTUAL_NOISE:
            assert noise not in listed and noise not in screen_text(app)


async def test_f2_opens_the_sandbox_phone_from_the_editor_without_typing() -> None:
    from plow_tui.tui.plow.phone import PhoneScreen

    app = demo_data.chats_app(sandbox=True)
    async with app.run_test(size=(80, 24)) as pilot:
        _, pane = await _editor_open(pilot)
        assert "f2 Phone" in footer(app)
        await pilot.press("p")  # text here
        assert pane.compose_box.draft == "p" and not isinstance(app.screen, PhoneScreen)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen), what="the phone")
        assert pane.compose_box.draft == "p"


async def test_a_word_typed_in_one_burst_outside_the_editor_arrives_whole() -> None:
    # A terminal delivers a fast-typed (or pasted) word as keys in one read: the keys after the
    # first reach the app before the editor has the focus. `k` is a key in the messages
    # (previous message): typed as part of "ok" it was taken as that and lost ("o").
    from textual import events

    app = demo_data.chats_app()
    async with app.run_test(size=(80, 24)) as pilot:
        _, pane = await _messages_focused_with_no_draft(pilot)
        for character in "ok then":
            key = "space" if character == " " else character
            app.post_message(events.Key(key, character))  # as the driver does: no wait between them
        await wait_for(pilot, lambda: pane.compose_box.draft == "ok then", what="the whole text in the editor")
        assert app.focused is pane.compose_box
        # Back in the messages on purpose, `k` is a key again.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.focused is pane.conversation, what="the messages focused again")
        await pilot.press("k")
        assert pane.compose_box.draft == "ok then"


async def test_in_the_sandbox_a_word_typed_outside_the_editor_starting_with_p_is_text_not_the_phone() -> None:
    # `p` and `a` open the phone and Airy only on the sign-in screen: on the chats screen
    # a word starting with one opened that screen and the rest of the word was typed there.
    from plow_tui.tui.plow.phone import PhoneScreen

    app = demo_data.chats_app(sandbox=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, pane = await _editor_open(pilot)
        pane.compose_box.draft = ""
        screen.query_one(ChatList).focus()
        await wait_for(pilot, lambda: isinstance(app.focused, ChatList), what="the list focused")
        await pilot.press("p", "a", "s", "t", "a")
        await wait_for(pilot, lambda: pane.compose_box.draft == "pasta", what="the word in the editor")
        assert not isinstance(app.screen, PhoneScreen)
        await pilot.press("f2")  # the phone's own key still opens it
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen), what="the phone")


async def test_palette_speaks_our_words_with_each_key() -> None:
    app = demo_data.chats_app()
    async with app.run_test(size=(120, 40)) as pilot:
        _, pane = await _editor_open(pilot)
        pane.conversation.focus()
        await pilot.press("up")  # a message selected: Copy message is offered
        await wait_for(pilot, lambda: pane.conversation.selected_uid is not None, what="a selection")
        commands = {c.title.partition("  ")[0]: c for c in app.get_system_commands(app.screen)}
        assert commands["New chat"].title == "New chat  ^n"
        assert commands["Keys"].title == "Keys  f1"
        assert commands["Quit"].title == "Quit  ^q"
        assert commands["Copy message"].title == "Copy message  y"
        assert "Screenshot" not in commands and "Maximize" not in commands
        for command in commands.values():
            assert not any(noise in command.help for noise in TEXTUAL_NOISE)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: "New chat  ^n" in screen_text(app), what="the palette")
        assert "as soon as possible" not in screen_text(app)


@pytest.mark.parametrize("size", SIZES)
async def test_confirm_dialog_arrows_move_between_its_buttons(size) -> None:
    app = demo_data.chats_app()
    async with app.run_test(size=size) as pilot:
        await failed_chat(pilot)
        await pilot.press("d")
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen)
        assert app.focused is dialog.query_one("#no")  # the safe answer by default
        # The whole sentence, at every size (it used to end "…reachab").
        await wait_for(pilot, lambda: "reachable through it." in screen_text(app), what="the question")
        await pilot.press("left")
        assert app.focused is dialog.query_one("#yes")
        await pilot.press("right")
        assert app.focused is dialog.query_one("#no")
        await pilot.press("left", "enter")
        await wait_for(pilot, lambda: "cht_old" not in app.screen.book.chats, what="the chat deleted")


@pytest.mark.parametrize("size", SIZES)
async def test_the_editor_says_when_a_draft_goes_as_several_texts(size) -> None:
    from plow_tui.tui.plow.views import MAX_BODY

    app = demo_data.chats_app()
    async with app.run_test(size=size) as pilot:
        _, pane = await _editor_open(pilot)
        pane.compose_box.draft = "x " * (MAX_BODY // 2 - 1)  # just under the limit
        await pilot.press("y")
        await pilot.pause()
        assert "goes as" not in screen_text(app)
        await pilot.press("z", "z")  # now over it
        await wait_for(pilot, lambda: "goes as 2 texts" in screen_text(app), what="the warning")
        pane.compose_box.draft = "short"
        await wait_for(pilot, lambda: "goes as" not in screen_text(app), what="the warning gone")


async def test_a_draft_that_stays_one_text_does_not_repaint_the_editor_again() -> None:
    # The screen's check of each key (one text or several?) set the editor's title every
    # time, and setting it repaints the editor: a second frame for every key typed.
    app = demo_data.chats_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen, pane = await _editor_open(pilot)
        compose = pane.compose_box
        compose.draft = "hello"
        refreshed: list[object] = []
        repaint = compose.refresh
        compose.refresh = lambda *regions, **how: (refreshed.append(how), repaint(*regions, **how))[1]  # type: ignore[method-assign]
        screen.on_text_area_changed(Compose.Changed(compose))
        assert refreshed == []
        assert compose.border_title is None


async def test_new_chat_buttons_stay_in_view_at_80x24_with_many_members() -> None:
    from plow_tui.tui.plow.new_chat import NewChatScreen
    from support.screenshots import new_chat_dialog

    app = demo_data.chats_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await new_chat_dialog(pilot)
        dialog = app.screen
        assert isinstance(dialog, NewChatScreen)
        for name in ("Quinn", "Rosa", "Sam", "Tess", "Uma"):
            await pilot.press("ctrl+n", *name)
        await pilot.pause()
        screen = dialog.region
        for button in ("#create", "#cancel"):
            region = dialog.query_one(button).region
            assert region.height and screen.contains_region(region), button
        assert "Create" in screen_text(app) and "Cancel" in screen_text(app)
        # The box being typed in is in view too, not scrolled away under the buttons.
        await wait_for(pilot, lambda: "Uma" in screen_text(app), what="the new member's box in view")


async def test_new_chat_line_choice_shows_without_colour_and_moves_with_the_first_key() -> None:
    from support.screenshots import new_chat_dialog

    app = demo_data.chats_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await new_chat_dialog(pilot)
        assert "◉ Elm" in screen_text(app) and "○ Oak" in screen_text(app)
        app.screen.query_one("#lines").focus()
        await pilot.press("down")
        await wait_for(pilot, lambda: "◉ Oak" in screen_text(app), what="Oak chosen")
        assert "○ Elm" in screen_text(app)
        dialog = app.screen
        assert dialog.chosen_line is not None and dialog.chosen_line.uid == "ln_oak"  # what Create would use


def test_delivery_failure_reason_is_read_tolerantly_and_shown_literally() -> None:
    from plow_tui.client.models import ChatMessage
    from plow_tui.tui.plow.views import delivery_failure

    def failed(**raw):
        return ChatMessage.from_json({"uid": "msg_1", "status": "failed", **raw})

    assert delivery_failure(failed()) is None
    assert delivery_failure(failed(failure_reason="carrier rejected")) == "carrier rejected"
    assert delivery_failure(failed(error={"code": "x", "message": "number unreachable"})) == "number unreachable"
    assert delivery_failure(failed(reason="blocked")) == "blocked"
    shown = delivery_failure(failed(failure_reason="\x1b[31mred\nline"))
    assert shown is not None and "\x1b" not in shown and "\n" not in shown


async def test_the_footer_drops_the_palette_tag_when_the_terminal_narrows() -> None:
    app = demo_data.chats_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _editor_open(pilot)
        await wait_for(pilot, lambda: "^p palette" in footer(app), what="the footer for the editor")
        await pilot.resize_terminal(80, 24)
        # The footer is briefly empty while it is laid out again: wait for its keys, without the tag.
        await wait_for(pilot, lambda: "f1 Keys" in footer(app) and "^p palette" not in footer(app), what="the tag gone")
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: "^p palette" in footer(app), what="the tag back")


@pytest.mark.parametrize("size", SIZES)
async def test_a_character_that_is_no_key_starts_the_text_in_the_editor(size) -> None:
    # Typing without first going to the editor: the first character no key binds starts the text.
    app = demo_data.chats_app()
    async with app.run_test(size=size) as pilot:
        screen, pane = await _messages_focused_with_no_draft(pilot)
        await pilot.press("H", "i", "space", "y", "o", "u")
        await wait_for(pilot, lambda: pane.compose_box.draft == "Hi you", what="the text in the editor")
        assert app.focused is pane.compose_box
        # From the chat list too; and a key that is one stays a command there.
        screen.query_one(ChatList).focus()
        await wait_for(pilot, lambda: isinstance(app.focused, ChatList), what="the list focused")
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: pane.compose_box.draft == "Hi you!", what="the list's character in the editor")
        pane.conversation.focus()
        await wait_for(pilot, lambda: app.focused is pane.conversation, what="the messages focused")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="d still asks to delete")
        assert pane.compose_box.draft == "Hi you!"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.focused is pane.conversation, what="the messages focused again")
        # A space typed there after a word is the gap before the next one (it was dropped: "Hi you!ok").
        await pilot.press("space", "o", "k")
        await wait_for(pilot, lambda: pane.compose_box.draft == "Hi you! ok", what="the space kept")
