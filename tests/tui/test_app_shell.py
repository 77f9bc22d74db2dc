"""The app shell's pieces: command line, QR code, status bar, clipboard fallback."""

from __future__ import annotations

import subprocess
import sys

import pytest
from textual.app import App, ComposeResult

from plow_tui.cli import build_parser, main, parse
from plow_tui.commands import ExitCode
from plow_tui.commands.app import run_app, run_phone
from plow_tui.tui.clipboard import clipboard_commands, copy_with_command
from plow_tui.client.texts import sms_uri
from plow_tui.tui.widgets.qr import QRCode, qr_matrix
from plow_tui.tui.widgets.status_bar import Connection, StatusBar, api_host


def test_no_subcommand_runs_the_app_with_its_options() -> None:
    args = parse([])
    assert args.func is run_app
    assert (args.sandbox, args.name, args.provision_chat) == (False, None, True)
    args = parse(["--sandbox", "--name", "Ada", "--no-chat"])
    assert (args.sandbox, args.name, args.provision_chat) == (True, "Ada", False)


def test_phone_subcommand() -> None:
    args = build_parser().parse_args(["phone", "+15551230009", "--to", "+15550000001", "--text", "hi"])
    assert args.func is run_phone
    assert (args.number, args.to, args.text) == ("+15551230009", "+15550000001", "hi")
    assert build_parser().parse_args(["phone"]).number == "+15551230002"


def test_bad_phone_number_is_a_usage_error(capsys) -> None:
    assert main(["phone", "five five five"]) == ExitCode.USAGE
    assert "is not a phone number" in capsys.readouterr().err


def test_bad_api_url_is_a_usage_error(capsys) -> None:
    assert main(["--api-url", "api.plow.co"]) == ExitCode.USAGE
    assert "must look like https://host" in capsys.readouterr().err


def test_cli_and_app_command_import_no_heavy_modules() -> None:
    code = (
        "import sys; import plow_tui.cli, plow_tui.commands.app; plow_tui.cli.build_parser();"
        "heavy = [m for m in ('textual', 'httpx', 'websockets', 'uvicorn', 'keyring') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_qr_matrix_has_finder_patterns_and_quiet_zone() -> None:
    matrix = qr_matrix(sms_uri("+15550000001", "Plow Activate: K7Q2D"))
    size = len(matrix)
    assert all(len(row) == size for row in matrix)
    assert size == 29 + 2 * 2  # version 3 plus a two-module quiet zone: 17 rows of half blocks
    assert not any(matrix[0]) and not any(row[0] for row in matrix)
    # The top-left finder pattern: a dark 7x7 ring starting inside the quiet zone.
    assert all(matrix[2][2:9]) and all(matrix[8][2:9])
    assert not any(matrix[3][3:8])


class _Bars(App[None]):
    def compose(self) -> ComposeResult:
        yield QRCode(sms_uri("+15550000001", "Plow Activate: K7Q2D"))
        yield StatusBar("https://api.plow.co", id="live")
        yield StatusBar("http://127.0.0.1:8765", sandbox=True, id="sandbox")


async def test_qr_widget_draws_half_blocks() -> None:
    app = _Bars()
    async with app.run_test(size=(80, 24)):
        qr = app.query_one(QRCode)
        assert (qr.size.width, qr.size.height) == (33, 17)
        first = qr.render_line(1).text
        assert first.startswith("  █▀▀▀▀▀█ ")


async def test_status_bar_states() -> None:
    app = _Bars()
    async with app.run_test(size=(80, 24)) as pilot:
        live = app.query_one("#live", StatusBar)
        sandbox = app.query_one("#sandbox", StatusBar)
        live.account = "Ada +1 (555) 123-0002"
        live.set_connection(Connection.RECONNECTING, retry_in=4)
        sandbox.set_connection(Connection.POLLING)
        await pilot.pause()
        live_text = live.render().plain
        assert live_text.startswith("plow-tui · Ada +1 (555) 123-0002")
        assert live_text.endswith("api.plow.co  ↻ reconnecting in 4 s")
        assert sandbox.render().plain.endswith("SANDBOX http://127.0.0.1:8765  ● polling")
        live.set_connection(Connection.RETRYING, retry_in=8)
        assert live.render().plain.endswith("↻ retrying in 8 s")
        for state, label in [(Connection.LIVE, "● live"), (Connection.CONNECTING, "◌ connecting"), (Connection.OFFLINE, "○ offline")]:
            live.set_connection(state)
            assert live.render().plain.endswith(label)


async def test_the_status_bar_repaints_for_a_new_event_only_when_its_minute_changes() -> None:
    # It shows the last event's HH:MM; set to the instant of each message, a burst repainted it per message.
    from datetime import datetime, timedelta, timezone

    app = _Bars()
    async with app.run_test(size=(80, 24)) as pilot:
        live = app.query_one("#live", StatusBar)
        moment = datetime(2026, 9, 14, 12, 0, 5, tzinfo=timezone.utc)
        live.last_event = moment
        await pilot.pause()
        refreshed: list[int] = []
        live.refresh = lambda *args, **kwargs: refreshed.append(1)  # type: ignore[method-assign]
        live.last_event = moment + timedelta(seconds=20, microseconds=7)
        assert not refreshed
        live.last_event = moment + timedelta(minutes=1)
        assert refreshed


def test_api_host() -> None:
    assert api_host("https://api.plow.co") == "api.plow.co"
    assert api_host("http://127.0.0.1:8765") == "127.0.0.1:8765"


def test_clipboard_commands_need_their_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    assert clipboard_commands({}) == ([("pbcopy",)] if sys.platform == "darwin" else [])
    wayland = clipboard_commands({"WAYLAND_DISPLAY": "wayland-0"})
    assert wayland[0] == ("wl-copy",)
    x11 = clipboard_commands({"DISPLAY": ":0"})
    assert x11[:2] == [("xclip", "-selection", "clipboard"), ("xsel", "--clipboard", "--input")]


def test_copy_with_command_falls_through_to_one_that_works(tmp_path) -> None:
    out = tmp_path / "copied"
    works = (sys.executable, "-c", f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())")
    assert copy_with_command("Plow Activate: K7Q2D", [("/nonexistent/wl-copy",), ("false",), works]) == sys.executable
    assert out.read_text() == "Plow Activate: K7Q2D"
    assert copy_with_command("x", [("false",)]) is None


async def test_every_copy_takes_the_one_path_and_says_what_it_copied(tmp_path) -> None:
    from support import demo_data
    from support.screenshots import main_screen, open_chat, wait_for
    from plow_tui.tui.widgets.conversation import Conversation

    clipboard = tmp_path / "clipboard"
    app = demo_data.chats_app(clipboard_commands=[("sh", "-c", f"cat > '{clipboard}'")])
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_chat(pilot, await main_screen(pilot), "cht_ada")
        conversation = pane.query_one(Conversation)
        conversation.focus()
        await pilot.press("k")  # the newest message
        body = conversation.entries[-1].body

        def said(text: str) -> bool:
            return any(text in note.message for note in app._notifications)

        await pilot.press("y")
        await wait_for(pilot, lambda: said(f"Copied: {body} (also via sh)"), what="the notice of `y`")
        assert app.clipboard == body and clipboard.read_text() == body
        # A mouse selection (here: a double click's) copied with Ctrl+C goes the same way.
        conversation.text_select_all()
        selected = app.screen.get_selected_text()
        assert selected is not None and selected.endswith(body)
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: said(f"Copied: {selected} (also via sh)"), what="the notice of Ctrl+C")
        assert clipboard.read_text() == selected
