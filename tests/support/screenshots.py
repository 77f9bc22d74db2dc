"""Regenerate `screenshots/*.svg` from the real app: `python tests/support/screenshots.py`.

Each `Scene` runs the real app with Pilot against the fakes of
`support.demo_data` (fixed codes, ids and clock, UTC), drives it into one
state, and exports the screen as SVG exactly as the snapshot tests do
(`textual._doc.take_svg_screenshot` is what `snap_compare` calls). The snapshot
tests import the same scene steps from here, so a changed screen fails both
them and `tests/test_screenshots.py` until the pictures are regenerated.

Running it twice writes identical files. Never edit the SVGs by hand.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot

if __package__ in (None, ""):
    # Run as a script (`python tests/support/screenshots.py`): make `support` importable, as pytest does.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from plow_tui.client.errors import ActivationExpired  # noqa: E402
from plow_tui.client.answers import Redeem  # noqa: E402
from support import demo_data  # noqa: E402

DEFAULT_OUT = Path("screenshots")


async def wait_for(pilot: Pilot[Any], condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Pause the pilot until `condition()` is truthy (and return it); fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def screen_text(app: App[Any]) -> str:
    """Everything drawn on the current screen (with screens beneath), as plain text lines.

    Rendered the way `export_screenshot()` renders, but exported as text so
    tests can search it.
    """
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


# -- scene steps (also the snapshot tests' `run_before`) --------------------------


def activation_in(phase_name: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Steps: wait until the activation screen is in `Phase[phase_name]` with its code drawn.

    WAITING also waits for the first poll, so "checked … ago" is on screen.
    """

    async def steps(pilot: Pilot[Any]) -> None:
        from plow_tui.tui.plow.activation import ActivationScreen, Phase

        phase = Phase[phase_name]

        def reached() -> bool:
            screen = pilot.app.screen
            if not isinstance(screen, ActivationScreen) or screen.phase is not phase:
                return False
            return phase is not Phase.WAITING or screen.last_checked is not None

        await wait_for(pilot, reached, what=f"the activation screen in {phase.name}")
        assert demo_data.CODE in pilot.app.screen.query_one("#activation-code").render().plain
        await pilot.pause()

    return steps


def expired_redeem() -> Redeem:
    """The server's answer to polling once the code has expired."""
    raise ActivationExpired("Activation expired.", status=410)


async def main_screen(pilot: Pilot[Any]) -> Any:
    """Steps: wait for the chat list and its previews; return the main screen."""
    from plow_tui.tui.plow.chats import ChatsScreen

    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, ChatsScreen) and app.screen.chats_loaded, what="the chats")
    screen = app.screen
    await wait_for(pilot, lambda: screen.query_one("ChatList").get_chat("cht_ada").preview, what="previews")
    return screen


async def open_chat(pilot: Pilot[Any], screen: Any, chat_uid: str) -> Any:
    """Open `chat_uid` with the editor focused; wait for its messages; return its pane."""
    screen.open_chat(chat_uid, focus_editor=True)
    pane = await wait_for(pilot, lambda: screen.pane(chat_uid), what="the pane")
    await wait_for(pilot, lambda: pane.loaded, what="the messages")
    await pilot.pause()
    return pane


async def busy_main_screen(pilot: Pilot[Any]) -> None:
    """Steps: Ada's chat open with every delivery state; two unread texts from Bob."""
    from plow_tui.client import events as ev
    from plow_tui.tui.plow.chat_feed import ChatFeed

    screen = await main_screen(pilot)
    pane = await open_chat(pilot, screen, "cht_ada")
    for text in ("unknown: did this go?", "on my way"):  # `FakePlow` answers these with "?" and "…"
        pane.compose_box.draft = text
        await pilot.press("enter")
    await wait_for(pilot, lambda: [e.state for e in pane.conversation.entries][-2:] == ["unknown", "sending"])
    # The row's preview is the newest text (redrawn at most every `ChatRows.ROW_INTERVAL`).
    rows = screen.query_one("ChatList")
    await wait_for(pilot, lambda: rows.get_chat("cht_ada").preview == "you: … on my way", what="Ada's preview")
    # As the live stream would deliver them.
    screen.query_one(ChatFeed).post_message(ChatFeed.Event(ev.MessagesArrived(demo_data.BOB_ARRIVALS)))
    await wait_for(pilot, lambda: screen.query_one("ChatList").get_chat("cht_bob").unread == 2)
    await pilot.pause()


async def new_messages_and_draft(pilot: Pilot[Any]) -> None:
    """Steps: Bob's chat read, a draft left in Ada's, two texts from Bob meanwhile, then Bob's chat again."""
    from plow_tui.client import events as ev
    from plow_tui.tui.plow.chat_feed import ChatFeed

    screen = await main_screen(pilot)
    await open_chat(pilot, screen, "cht_bob")  # read up to here
    ada = await open_chat(pilot, screen, "cht_ada")
    ada.compose_box.draft = "half a thought"
    await wait_for(pilot, lambda: screen.query_one("ChatList").get_chat("cht_ada").draft, what="the draft mark")
    screen.query_one(ChatFeed).post_message(ChatFeed.Event(ev.MessagesArrived(demo_data.BOB_ARRIVALS)))
    await wait_for(pilot, lambda: screen.query_one("ChatList").get_chat("cht_bob").unread == 2, what="two unread")
    pane = await open_chat(pilot, screen, "cht_bob")
    await wait_for(pilot, lambda: pane.conversation.unread_from == "msg_b2", what="the new-messages line")
    await pilot.pause()


async def failed_chat(pilot: Pilot[Any]) -> None:
    """Steps: the failed chat open, the chat list focused."""
    screen = await main_screen(pilot)
    await open_chat(pilot, screen, "cht_old")
    screen.query_one("ChatList").focus()
    await pilot.pause()


async def confirm_delete(pilot: Pilot[Any]) -> None:
    """Steps: the failed chat open, then `d`: the question before deleting it."""
    from plow_tui.tui.screens.confirm import ConfirmScreen

    await failed_chat(pilot)
    await pilot.press("d")
    dialog = await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen) and pilot.app.screen, what="the question")
    await wait_for(pilot, lambda: dialog.query_one("#no").has_focus, what="the safe button focused")
    await pilot.pause()


async def new_chat_dialog(pilot: Pilot[Any]) -> None:
    """Steps: Ctrl+N, two members typed in."""
    from plow_tui.tui.plow.new_chat import NewChatScreen

    await main_screen(pilot)
    await pilot.press("ctrl+n")
    dialog = await wait_for(pilot, lambda: isinstance(pilot.app.screen, NewChatScreen) and pilot.app.screen)
    await wait_for(pilot, lambda: not dialog.query_one("#create").disabled, what="the lines")
    await pilot.press(*"Sarah")
    await pilot.press("ctrl+n")
    await pilot.press(*"Patrick")
    # Both names in their boxes (on a loaded machine the added box may mount after the keys are sent).
    from textual.widgets import Input

    names = lambda: [box.value for box in dialog.query(".member").results(Input)]  # noqa: E731
    await wait_for(pilot, lambda: names() == ["Sarah", "Patrick"], what="both members typed")
    await pilot.pause()


async def pending_codes(pilot: Pilot[Any]) -> None:
    """Steps: the new chat created, its members' VERIFY- codes waiting."""
    from plow_tui.tui.plow.chats import ChatsScreen

    await new_chat_dialog(pilot)
    await pilot.press("enter")
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, ChatsScreen) and app.screen.open_uid == "cht_new", what="the chat")
    pane = await wait_for(pilot, lambda: app.screen.pane("cht_new"))
    await wait_for(pilot, lambda: pane.loaded)
    await pilot.pause()


async def phone_live(pilot: Pilot[Any]) -> None:
    """Steps: the simulated phone with its inbox, connected."""
    from plow_tui.tui.plow.phone import PhoneScreen

    def live() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, PhoneScreen) and "live" in str(screen.query_one("StatusBar").render())

    await wait_for(pilot, live, what="the phone to go live")
    await pilot.pause()


async def keys_of_main_screen(pilot: Pilot[Any]) -> None:
    """Steps: the busy main screen with the conversation focused (its keys too), then `?`."""
    from plow_tui.tui.screens.help import KeysScreen

    await busy_main_screen(pilot)
    # In the editor `?` is just a character: keys are asked for from the messages.
    pilot.app.screen.pane("cht_ada").conversation.focus()
    await pilot.pause()
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, KeysScreen), what="the keys")
    await pilot.pause()


async def airy_conversation(pilot: Pilot[Any]) -> None:
    """Steps: the Airy screen with its history shown, live, and a draft in the editor."""
    from plow_tui.tui.airy.screen import AiryScreen

    app = pilot.app
    screen = await wait_for(pilot, lambda: isinstance(app.screen, AiryScreen) and app.screen, what="the Airy screen")
    await wait_for(pilot, lambda: len(screen.conversation.entries) == len(demo_data.AIRY_HISTORY), what="the history")
    await wait_for(pilot, lambda: screen.compose_box.disabled_reason is None, what="sending allowed")
    screen.compose_box.draft = "Could you send the tracking link here too?"
    await pilot.pause()


# -- the pictures -------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """One picture: an app, a terminal size, and the steps that bring the app to the state shown."""

    name: str
    caption: str
    make_app: Callable[[], App[Any]]
    steps: Callable[[Pilot[Any]], Awaitable[None]]
    size: tuple[int, int] = (100, 30)

    @property
    def filename(self) -> str:
        return f"{self.name}.svg"


SCENES: tuple[Scene, ...] = (
    Scene(
        "activation",
        "Signing in: the code to text, the number, a QR code and the countdown",
        demo_data.activation_app,
        activation_in("WAITING"),
    ),
    Scene(
        "activation-expired",
        "The code expired: r asks for a new one",
        lambda: demo_data.activation_app(redeem=expired_redeem),
        activation_in("EXPIRED"),
    ),
    Scene(
        "chats",
        "Chats in every status with unread counts; a conversation with every delivery state",
        demo_data.chats_app,
        busy_main_screen,
    ),
    Scene(
        "failed-chat",
        "A chat that failed: its reason, and d to delete or R to recreate it",
        demo_data.chats_app,
        failed_chat,
    ),
    Scene("new-chat", "Ctrl+N: pick a line, name the members", demo_data.chats_app, new_chat_dialog),
    Scene(
        "new-chat-codes",
        "A new chat waits for each member to text their VERIFY- code",
        demo_data.chats_app,
        pending_codes,
        size=(110, 32),
    ),
    Scene("phone", "The simulated phone (sandbox), with the activation text ready", demo_data.phone_app, phone_live),
    Scene("keys", "F1: every key of the screen beneath", demo_data.chats_app, keys_of_main_screen),
    Scene(
        "airy",
        "An Airy Core chat: the same conversation pane and editor on the second backend",
        demo_data.fake_airy_app,
        airy_conversation,
        size=(100, 24),
    ),
)

# Secrets the fakes hold; no picture may contain any of them.
SECRETS: tuple[str, ...] = (demo_data.TOKEN, demo_data.DEMO_ACTIVATION_SECRET)


@contextmanager
def repeatable_environment() -> Iterator[None]:
    """UTC local time, no colour or dev settings from the caller's shell, and an empty
    home of its own (the app keeps drafts and unsent texts in its state directory:
    a scene must neither read the person's files nor leave any for the next scene),
    all restored afterwards."""
    homes = ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")
    saved = {name: os.environ.get(name) for name in ("TZ", "NO_COLOR", "TEXTUAL", *homes)}
    os.environ["TZ"] = "UTC"
    os.environ.pop("NO_COLOR", None)
    os.environ.pop("TEXTUAL", None)
    time.tzset()
    home = tempfile.TemporaryDirectory(prefix="plow-tui-scene-")
    for name in homes:
        os.environ[name] = os.path.join(home.name, name.lower())
    try:
        yield
    finally:
        home.cleanup()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        time.tzset()


def render(scene: Scene) -> str:
    """The SVG of `scene`, rendered the way `snap_compare` renders it."""
    # Private to Textual, but it is the function pytest-textual-snapshot calls:
    # using it keeps the pictures byte-for-byte what the snapshot tests see.
    from textual._doc import take_svg_screenshot

    with repeatable_environment():
        svg = take_svg_screenshot(scene.make_app(), terminal_size=scene.size, run_before=scene.steps)
    leaked = [secret for secret in SECRETS if secret in svg]
    if leaked:
        raise RuntimeError(f"the {scene.name} screenshot shows a secret; fix the screen, not the picture")
    return svg


def generate(out_dir: Path, scenes: tuple[Scene, ...] = SCENES) -> list[Path]:
    """Render every scene into `out_dir`; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for scene in scenes:
        path = out_dir / scene.filename
        path.write_text(render(scene), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tests/support/screenshots.py",
        description="Regenerate the README's screenshots from the real app (run from the repository root).",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the SVGs (default: %(default)s)")
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these scenes: " + ", ".join(s.name for s in SCENES))
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - {s.name for s in SCENES})
    if unknown:
        parser.error(f"no such scene: {', '.join(unknown)}")
    chosen = tuple(s for s in SCENES if not args.names or s.name in args.names)
    for path in generate(args.out, chosen):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
