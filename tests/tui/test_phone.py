"""The simulated phone, in the app (`p`) and standalone (`plow-tui phone`), against a sandbox."""

from __future__ import annotations

from datetime import timezone

import pytest
from app_fakes import (  # noqa: F401 - sandbox_factory is a fixture
    Landed,
    sandbox_factory,
    screen_text,
    showing_a_code,
    squash,
    wait_for,
)

from plow_tui.client.http import PlowClient
from plow_tui.client.numbers import format_phone, normalize_phone
from plow_tui.client.phone import SandboxPhone
from plow_tui.tui.standalone import PhoneApp
from plow_tui.tui.plow.activation import ActivationScreen
from plow_tui.tui.plow.phone import NumberPrompt, PhoneScreen


async def test_p_opens_phone_prefilled_and_sending_signs_in(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    async with showing_a_code(sandbox.base_url) as (app, pilot, pending):
        await pilot.press("p")
        phone = await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen) and app.screen, what="the phone")
        await wait_for(pilot, lambda: "● live" in screen_text(app), what="the phone socket")
        text = squash(screen_text(app))
        assert "Phone +1 (555) 123-0002" in text
        assert "texting +1 (555) 000-0001" in text
        assert phone.query_one("#phone-compose").value == pending.text
        await wait_for(pilot, lambda: "esc Back" in screen_text(app), what="the phone's footer")

        await pilot.press("escape")  # back to the code, and in again
        await wait_for(pilot, lambda: isinstance(app.screen, ActivationScreen), what="the activation screen")
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen), what="the phone")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, Landed), what="sign-in")


async def test_phone_shows_texts_from_lines_live(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    # Sign Ada in from her phone, with a chat, straight over the API.
    async with PlowClient(sandbox.base_url) as api, SandboxPhone(sandbox.base_url, "+15551230002") as handset:
        start = await api.activate(name="Ada")
        assert await handset.send(start.send_to, start.text) == "activated"
        result = await api.redeem(start.activation_secret)
        api.token = result.token
        await api.send_message(result.chat.uid, "before the phone opened")

        app = PhoneApp(sandbox.base_url, "+15551230002", phone_factory=SandboxPhone, tz=timezone.utc, cursor_blink=False)
        async with app.run_test(size=(100, 24)) as pilot:
            await wait_for(pilot, lambda: "● live" in screen_text(app), what="the phone socket")
            assert "before the phone opened" in screen_text(app)
            await api.send_message(result.chat.uid, "[bold]hello[/bold] from the line")
            await wait_for(pilot, lambda: "from the line" in screen_text(app), what="a live text")
            text = screen_text(app)
            # Network text is shown literally, markup and all.
            assert "[bold]hello[/bold] from the line" in text
            assert "from +1 (555) 000-0001" in text

            # The owner's reply through the phone lands in the chat.
            await pilot.press("ctrl+t")
            prompt = await wait_for(pilot, lambda: isinstance(app.screen, NumberPrompt) and app.screen, what="prompt")
            prompt.query_one("#number-input").value = start.send_to
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen), what="the phone again")
            app.screen.query_one("#phone-compose").value = "see you at 3"
            await pilot.press("enter")
            await wait_for(pilot, lambda: "Delivered to the chat." in screen_text(app), what="the effect")
            assert "you" in screen_text(app)
        page = await api.messages(result.chat.uid)
        assert page.data[0].body == "see you at 3"


async def test_other_number_rejects_a_non_number(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    app = PhoneApp(sandbox.base_url, "+15551230002", phone_factory=SandboxPhone, cursor_blink=False)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("ctrl+o")
        prompt = await wait_for(pilot, lambda: isinstance(app.screen, NumberPrompt) and app.screen, what="prompt")
        prompt.query_one("#number-input").value = "call me maybe"
        await pilot.press("enter")
        assert isinstance(app.screen, NumberPrompt)
        assert "is not a phone number like +15551230002" in screen_text(app)
        prompt.query_one("#number-input").value = "+1 (555) 123-0009"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen), what="the phone again")
        assert "Phone +1 (555) 123-0009" in screen_text(app)


async def test_phone_without_a_sandbox_says_so_and_retries() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = PhoneApp(f"http://127.0.0.1:{port}", "+15551230002", phone_factory=SandboxPhone, cursor_blink=False)
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_for(pilot, lambda: "Retrying in" in screen_text(app), what="the retry note")
        text = squash(screen_text(app))
        assert f"Could not reach the sandbox at http://127.0.0.1:{port}." in text
        assert "↻ reconnecting in 1 s" in text
        await pilot.press("escape")
    assert app.return_code == 0


async def test_phone_status_recovers_once_the_sandbox_is_back() -> None:
    import socket

    from plow_tui.sandbox import SandboxConfig, SandboxServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = PhoneApp(f"http://127.0.0.1:{port}", "+15551230002", phone_factory=SandboxPhone, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "Could not reach the sandbox" in squash(screen_text(app)), what="the retry note")
        with SandboxServer(SandboxConfig(port=port)):
            await wait_for(pilot, lambda: "● live" in screen_text(app), timeout=40, what="live again")
            await wait_for(pilot, lambda: "Connected again." in screen_text(app), what="the note updated")
            assert "Could not reach" not in squash(screen_text(app))


@pytest.mark.parametrize(
    ("typed", "e164"),
    [("+15551230002", "+15551230002"), ("+1 (555) 123-0002", "+15551230002"), ("+44 20 7946 0958", "+442079460958")],
)
def test_normalize_phone_accepts_separators(typed: str, e164: str) -> None:
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize("typed", ["", "5551230002", "+0123", "+1555abc", "+1234567890123456"])
def test_normalize_phone_refuses_what_is_not_e164(typed: str) -> None:
    with pytest.raises(ValueError, match="is not a phone number"):
        normalize_phone(typed)


def test_format_phone() -> None:
    assert format_phone("+15550000001") == "+1 (555) 000-0001"
    assert format_phone("+442079460958") == "+442079460958"
    assert format_phone("not a number") == "not a number"
    assert format_phone(None) == ""
