"""The rules of background notices (tui/notify.py): focus, cooldown, the terminal's protocol, sanitising."""

from __future__ import annotations

import re

from app_fakes import sandbox_factory  # noqa: F401 - a fixture

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plow_tui.tui.notify import COOLDOWN, Notifier, desktop_protocol, desktop_sequence, mode_of


class Terminal:
    """What a notifier wrote: escape sequences and bells, with a clock and a focus it controls."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self.bells = 0
        self.now = 1000.0
        self.focus = False

    def notifier(self, mode: str = "desktop", protocol: str | None = "osc777") -> Notifier:
        return Notifier(
            mode,  # type: ignore[arg-type]
            protocol,  # type: ignore[arg-type]
            write=self.written.append,
            bell=self.ring,
            focused=lambda: self.focus,
            clock=lambda: self.now,
        )

    def ring(self) -> None:
        self.bells += 1


def test_only_while_unfocused() -> None:
    terminal = Terminal()
    notifier = terminal.notifier()
    terminal.focus = True
    assert not notifier.message("Ada", "hello")
    terminal.focus = False
    assert notifier.message("Ada", "hello")
    assert terminal.written == ["\x1b]777;notify;Ada;hello\x1b\\"]


def test_a_burst_is_one_notice_until_the_cooldown_passes() -> None:
    terminal = Terminal()
    notifier = terminal.notifier(mode="bell")
    assert notifier.message("Ada", "one")
    terminal.now += COOLDOWN - 1
    assert not notifier.message("Ada", "two")
    terminal.now += 1
    assert notifier.message("Ada", "three")
    assert terminal.bells == 2 and terminal.written == []


def test_offline_then_back_each_once_and_back_only_after_offline() -> None:
    terminal = Terminal()
    notifier = terminal.notifier(protocol="osc9")
    assert not notifier.online()  # start-up: nothing was lost
    assert notifier.offline()
    assert not notifier.offline()  # still offline, within the cooldown
    terminal.now += 1
    assert notifier.online()  # not held back by the offline notice's cooldown
    assert not notifier.online()
    assert terminal.written == [
        "\x1b]9;Offline: Lost the connection to the server, retrying.\x1b\\",
        "\x1b]9;Back online: Connected to the server again.\x1b\\",
    ]
    assert notifier.message("Ada", "hi")  # messages keep their own cooldown


def test_back_is_not_said_when_offline_was_not() -> None:
    terminal = Terminal()
    notifier = terminal.notifier()
    terminal.focus = True
    assert not notifier.offline()
    terminal.focus = False
    assert not notifier.online()


def test_off_says_nothing_and_desktop_without_a_known_terminal_rings() -> None:
    terminal = Terminal()
    assert not terminal.notifier(mode="off").message("Ada", "hi")
    assert terminal.notifier(protocol=None).message("Ada", "hi")
    assert terminal.bells == 1 and terminal.written == []


@pytest.mark.parametrize(
    ("environ", "protocol"),
    [
        ({"TERM": "foot"}, "osc777"),
        ({"TERM": "foot-extra"}, "osc777"),
        ({"TERM_PROGRAM": "WezTerm"}, "osc777"),
        ({"WEZTERM_PANE": "3", "TERM": "xterm-256color"}, "osc777"),
        ({"TERM_PROGRAM": "ghostty"}, "osc777"),
        ({"TERM_PROGRAM": "iTerm.app"}, "osc9"),
        ({"KITTY_WINDOW_ID": "1", "TERM": "xterm-kitty"}, "osc9"),
        ({"WT_SESSION": "b1f5…"}, None),  # Windows Terminal shows no OSC 9 notification: the bell
        ({"TERM": "xterm-256color"}, None),
        ({}, None),
        ({"TERM_PROGRAM": "tmux", "TERM": "tmux-256color", "KITTY_WINDOW_ID": "1"}, None),  # inside tmux: the bell
        ({"TMUX": "/tmp/tmux-0/default,1,0", "TERM_PROGRAM": "WezTerm"}, None),
        ({"TERM": "screen-256color", "WT_SESSION": "x"}, None),
    ],
)
def test_the_protocol_follows_the_terminal(environ: dict[str, str], protocol: str | None) -> None:
    assert desktop_protocol(environ) == protocol


def test_mode_of_the_setting() -> None:
    assert [mode_of(v) for v in ("off", "bell", "desktop", True, False)] == ["off", "bell", "desktop", "bell", "off"]


def test_sender_and_the_start_of_the_text_never_a_secret() -> None:
    # The log redactor's rules (plow_tui.logs.redact) hold here too: an activation secret, a ticketed URL.
    secret = "act_" + "a" * 32
    sequence = desktop_sequence("osc777", "Ada; Lovelace", f"see {secret} and wss://x/v1/ws?ticket=wst_9 " + "x" * 300)
    assert sequence.startswith("\x1b]777;notify;Ada, Lovelace;see ")
    assert secret not in sequence and "wst_9" not in sequence
    assert len(sequence) < 200


# Everything an attacker may put in a name or a text, C0, C1 (ST is U+009C) and ESC \ included.
hostile = st.text(st.characters(min_codepoint=0, max_codepoint=0x2FF) | st.sampled_from("\x1b\x07\x9c\\;]"))


@given(sender=hostile, text=hostile)
def test_a_payload_cannot_end_the_sequence_early(sender: str, text: str) -> None:
    for protocol in ("osc777", "osc9"):
        sequence = desktop_sequence(protocol, sender, text)  # type: ignore[arg-type]
        head = "\x1b]777;notify;" if protocol == "osc777" else "\x1b]9;"
        assert sequence.startswith(head) and sequence.endswith("\x1b\\")
        payload = sequence[len(head) : -2]
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", payload), repr(payload)
        assert payload.count(";") == (1 if protocol == "osc777" else 0)  # only the title/body separator


async def test_the_app_notifies_an_unfocused_person_of_a_text_and_of_the_connection(
    sandbox_factory, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    from chats_helpers import chats_app, fault, main_screen, open_chat, signed_up, sms
    from support.waits import nothing_more

    from app_fakes import wait_for

    monkeypatch.setenv("TERM", "foot")  # a terminal that shows OSC 777
    for name in ("TMUX", "TERM_PROGRAM", "KITTY_WINDOW_ID", "WEZTERM_PANE", "WT_SESSION"):
        monkeypatch.delenv(name, raising=False)
    account = await signed_up(sandbox_factory)
    app = await chats_app(account.base, account.token, notifications="desktop")
    shown: list[str] = []
    app._write_to_terminal = shown.append  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await main_screen(pilot)
        pane = await open_chat(pilot, screen, account.chat.uid)
        await wait_for(pilot, lambda: screen.stream_live, what="the live stream")
        await sms(account.base, account.phone, account.chat.number, "seen here")
        await wait_for(pilot, lambda: len(pane.conversation.entries) == 1, what="the first text")
        app.app_focus = False  # AppBlur: the terminal lost focus
        await sms(account.base, account.phone, account.chat.number, "hi \x1b]0;owned\x07 there; bye")
        await wait_for(pilot, lambda: shown, what="the notification")
        assert shown == ["\x1b]777;notify;Ada;hi ␛]0,owned␇ there, bye\x1b\\"]
        # Offline (the server refuses the reconnect), then back: one notice each.
        await fault(account.base, drop_sockets=True, fail_next={"status": 503, "count": 2})
        await wait_for(pilot, lambda: len(shown) == 2, what="the offline notice")
        await wait_for(pilot, lambda: len(shown) == 3 and screen.stream_live, what="the back-online notice")
        assert [s.split(";")[2] for s in shown[1:]] == ["Offline", "Back online"]
        app.app_focus = True  # AppFocus: looking again, nothing more
        await sms(account.base, account.phone, account.chat.number, "while you look")
        await wait_for(pilot, lambda: len(pane.conversation.entries) == 3, what="the third text")
        await nothing_more(pilot)
        assert len(shown) == 3
