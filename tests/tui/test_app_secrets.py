"""The token and the activation secret never reach a screen, a screenshot or a log line."""

from __future__ import annotations

import logging

from app_fakes import (  # noqa: F401 - sandbox_factory is a fixture
    CANARY_SECRET,
    CANARY_TOKEN,
    FixedClock,
    Landed,
    fake_app,
    memory_store,
    sandbox_app,
    sandbox_factory,
    screen_text,
    text_line,
    wait_for,
)

from textual.command import CommandPalette

from plow_tui.client.answers import Redeem
from plow_tui.tui.plow.activation import ActivationScreen
from plow_tui.tui.screens.help import KeysScreen
from plow_tui.tui.plow.phone import PhoneScreen


def _leaks(secret: str, text: str) -> bool:
    """True if any 12 characters of `secret` appear in `text` (a wrapped line splits it)."""
    return any(secret[i : i + 12] in text for i in range(len(secret) - 11))


def _dump(app, dumps: list[str]) -> None:
    dumps.append(app.export_screenshot())
    dumps.append(screen_text(app))
    dumps.extend(repr(screen) for screen in app.screen_stack)
    dumps.extend(str(notification.message) for notification in app._notifications)


async def _walk_every_screen(app, pilot, dumps: list[str]) -> None:
    """Visit what a person can open during activation, dumping each."""
    _dump(app, dumps)
    await pilot.press("c")
    await pilot.press("n")
    _dump(app, dumps)
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), what="keys")
    _dump(app, dumps)
    await pilot.press("escape")
    await pilot.press("p")
    phone = await wait_for(pilot, lambda: isinstance(app.screen, PhoneScreen) and app.screen, what="phone")
    await wait_for(pilot, lambda: phone.query_one("StatusBar").connection.label == "live", what="the phone's inbox")
    _dump(app, dumps)
    await pilot.press("escape")
    await wait_for(pilot, lambda: not isinstance(app.screen, PhoneScreen), what="the phone closed")
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    _dump(app, dumps)
    await pilot.press("escape")


async def test_canaries_never_rendered_or_logged(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    walked = False

    def redeem() -> Redeem:
        # Pending until the walk is over (however long a busy machine makes it), then verified with the canary.
        return Redeem("verified", token=CANARY_TOKEN) if walked else Redeem("pending")

    store = memory_store()
    app = fake_app(FixedClock(), store, redeem=redeem, sandbox=True, api_url="http://127.0.0.1:9")
    dumps: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ActivationScreen) and app.screen.pending, what="a code")
        await _walk_every_screen(app, pilot, dumps)
        walked = True
        await wait_for(pilot, lambda: isinstance(app.screen, Landed), what="sign-in")
        _dump(app, dumps)

    assert app.handoffs and app.handoffs[0][0] == CANARY_TOKEN  # the canary really went through
    assert await store.get_token("http://127.0.0.1:9") == CANARY_TOKEN
    everything = "\n".join(dumps) + "\n".join(record.getMessage() for record in caplog.records)
    assert "Plow Activate: K7Q2D" in everything  # the dumps are real
    assert not _leaks(CANARY_SECRET, everything)
    assert not _leaks(CANARY_TOKEN, everything)


async def test_real_sandbox_secrets_never_rendered(sandbox_factory, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox = sandbox_factory()
    store = memory_store()
    app = sandbox_app(sandbox.base_url, store)
    dumps: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        pending = await wait_for(pilot, lambda: isinstance(app.screen, ActivationScreen) and app.screen.pending, what="a code")
        await _walk_every_screen(app, pilot, dumps)
        await text_line(sandbox.base_url, "+15551230002", pending.send_to, pending.text)
        await wait_for(pilot, lambda: isinstance(app.screen, Landed), what="sign-in")
        _dump(app, dumps)

    token = await store.get_token(sandbox.base_url)
    assert token and pending.secret
    everything = "\n".join(dumps) + "\n".join(record.getMessage() for record in caplog.records)
    assert pending.display_code in everything
    assert not _leaks(pending.secret, everything)
    assert not _leaks(token, everything)
