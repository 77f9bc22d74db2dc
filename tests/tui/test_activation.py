"""The activation screen against a real sandbox over loopback HTTP."""

from __future__ import annotations

import socket
import stat

from app_fakes import (  # noqa: F401 - sandbox_factory is a fixture
    FailingStore,
    Landed,
    memory_store,
    pending_of,
    sandbox_app,
    sandbox_factory,
    sandbox_post,
    showing_a_code,
    screen_text,
    squash,
    text_line,
    wait_for,
)

from plow_tui.client.http import PlowClient
from plow_tui.client.secret_backends import FileStore, MemoryStore
from plow_tui.client.tokens import TokenStore
from plow_tui.tui.plow.activation import ActivationScreen, Phase
from plow_tui.tui.screens.help import KeysScreen

OWNER_PHONE = "+15551230002"


async def _text_the_code(pilot, base_url: str, pending) -> None:
    """The owner texts the shown activation code: it activates and the app hands off to the chats."""
    assert await text_line(base_url, OWNER_PHONE, pending.send_to, pending.text) == "activated"
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, Landed), what="the hand-off to the chats")


async def test_pending_then_verified_stores_token_and_shows_chat(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    store = memory_store()
    async with showing_a_code(sandbox.base_url, store) as (app, pilot, pending):
        text = squash(screen_text(app))
        assert f"Plow Activate: {pending.display_code}" in text
        assert "+1 (555) 000-0001" in text  # formatted for reading
        assert "Code expires in 29:" in text
        await wait_for(pilot, lambda: "checked" in screen_text(app), what="a first poll")
        assert "● polling" in screen_text(app)

        await _text_the_code(pilot, sandbox.base_url, pending)
        [(handed_token, chat)] = app.handoffs
        assert chat is not None and chat.status == "active"
        # The new screen is drawn on the next refresh, not when it is pushed.
        await wait_for(pilot, lambda: "Landed: Ada · +1 (555) 000-0001" in screen_text(app), what="the landing drawn")
        # Leaving the activation screen cancelled its polling.
        await wait_for(
            pilot,
            lambda: not [w for w in app.workers if w.group == "activation" and not w.is_finished],
            what="the polling worker to stop",
        )

        token = await store.get_token(sandbox.base_url)
        assert token == handed_token
        assert await store.get_pending(sandbox.base_url) is None
        async with PlowClient(sandbox.base_url, token) as api:
            assert [c.status for c in await api.chats()] == ["active"]


async def test_stored_token_goes_straight_to_chats(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    store = memory_store()
    async with showing_a_code(sandbox.base_url, store) as (first, pilot, pending):
        await _text_the_code(pilot, sandbox.base_url, pending)
    [(token, _)] = first.handoffs

    second = sandbox_app(sandbox.base_url, store)
    async with second.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(second.screen, Landed), what="the chats")
        assert second.handoffs == [(token, None)]
        assert not any(isinstance(s, ActivationScreen) for s in second.screen_stack)


async def test_revoked_token_returns_to_activation(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    store = memory_store()
    async with PlowClient(sandbox.base_url) as api:
        start = await api.activate(name="Ada")
        await text_line(sandbox.base_url, OWNER_PHONE, start.send_to, start.text)
        token = (await api.redeem(start.activation_secret)).token
    await store.save_token(sandbox.base_url, token)
    await sandbox_post(sandbox.base_url, "/sandbox/faults", {"revoke_token": token})

    # The real main screen meets the 401 and hands back through PlowApp.sign_out().
    app = sandbox_app(sandbox.base_url, store, real_chats=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: pending_of(app), timeout=15, what="activation after a 401")
        assert app.screen.query("#activation-note")  # says why sign-in is asked again
        assert await store.get_token(sandbox.base_url) is None


async def test_a_refused_plow_token_is_named(sandbox_factory) -> None:
    # Signing in by text cannot outlast PLOW_TOKEN (it wins at every start): say it was that token.
    sandbox = sandbox_factory()
    store = TokenStore([MemoryStore()], env={"PLOW_TOKEN": "tok_not_valid_0123"})
    app = sandbox_app(sandbox.base_url, store, real_chats=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: pending_of(app), timeout=15, what="activation after a 401")
        await wait_for(
            pilot, lambda: "The token in PLOW_TOKEN was refused" in squash(screen_text(app)), what="the reason"
        )
        assert "tok_not_valid_0123" not in screen_text(app)


async def test_expired_code_then_r_starts_over(sandbox_factory) -> None:
    sandbox = sandbox_factory(activation_ttl=0.5)
    async with showing_a_code(sandbox.base_url) as (app, pilot, first):
        await wait_for(pilot, lambda: app.screen.phase is Phase.EXPIRED, what="expiry")
        text = squash(screen_text(app))
        assert "This code expired. Press r for a new one." in text
        assert "scan to open Messages" not in text  # a dead code is not scannable

        await pilot.press("r")
        second = await wait_for(pilot, lambda: pending_of(app), what="a fresh code")
        assert second.display_code != first.display_code
        assert f"Plow Activate: {second.display_code}" in screen_text(app)


async def test_no_line_free_says_503(sandbox_factory) -> None:
    sandbox = sandbox_factory(lines=1)
    # Another person's pending activation holds the only line.
    async with PlowClient(sandbox.base_url) as api:
        await api.activate(name="Bob")
    app = sandbox_app(sandbox.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.phase is Phase.NO_LINE, what="the 503")
        text = squash(screen_text(app))
        assert "No line is free right now (503). Trying again in 60 s, or press r." in text
        assert "↻ retrying in 60 s" in text  # the status bar


async def test_server_failure_on_start_recovers_by_itself(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    await sandbox_post(sandbox.base_url, "/sandbox/faults", {"fail_next": {"status": 500, "count": 1}})
    app = sandbox_app(sandbox.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.phase is Phase.RETRYING, what="the failure")
        assert "failed (500" in screen_text(app)
        assert "↻ retrying in" in screen_text(app)
        await wait_for(pilot, lambda: pending_of(app), timeout=8, what="the retry")


async def test_network_down_keeps_retrying_and_input_still_works() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on `port` now: every connection is refused.
    app = sandbox_app(f"http://127.0.0.1:{port}", sandbox=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.phase is Phase.RETRYING, what="the network error")
        text = squash(screen_text(app))
        assert f"Can't reach 127.0.0.1:{port} — retrying in" in text
        assert "○ offline" in text
        # The screen stays responsive while the worker waits to retry.
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), what="the keys screen")
        await pilot.press("escape")
        assert isinstance(app.screen, ActivationScreen)


async def test_pending_activation_survives_restart(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    store = memory_store()
    async with showing_a_code(sandbox.base_url, store) as (first, pilot, pending):
        await pilot.press("q")
    assert (await store.get_pending(sandbox.base_url)).display_code == pending.display_code

    second = sandbox_app(sandbox.base_url, store)
    async with second.run_test(size=(100, 30)) as pilot:
        resumed = await wait_for(pilot, lambda: pending_of(second), what="the resumed code")
        assert resumed.display_code == pending.display_code
        assert f"Plow Activate: {pending.display_code}" in screen_text(second)
        await _text_the_code(pilot, sandbox.base_url, resumed)


async def test_keyring_failure_falls_back_to_private_file(sandbox_factory, tmp_path) -> None:
    sandbox = sandbox_factory()
    secrets = tmp_path / "config" / "secrets.json"
    store = TokenStore([FailingStore(), FileStore(secrets)], env={})
    async with showing_a_code(sandbox.base_url, store, size=(200, 30)) as (app, pilot, pending):
        # The pending activation already had to go to the file: the screen says so.
        await wait_for(pilot, lambda: "keyring (Broken) failed" in squash(screen_text(app)), what="the warning")
        assert "secrets.json (0600)" in screen_text(app)
        await _text_the_code(pilot, sandbox.base_url, pending)
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert await store.get_token(sandbox.base_url)


async def test_copy_keys_copy_text_and_e164_number(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    async with showing_a_code(sandbox.base_url) as (app, pilot, pending):
        await pilot.press("c")
        assert app.clipboard == f"Plow Activate: {pending.display_code}"
        await pilot.press("n")
        assert app.clipboard == pending.send_to == "+15550000001"
        messages = [n.message for n in app._notifications]
        assert f"Copied the text: Plow Activate: {pending.display_code}" in messages
        assert "Copied the number: +15550000001" in messages


async def test_every_action_has_a_palette_entry(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    async with showing_a_code(sandbox.base_url) as (app, pilot, _):
        titles = {command.title.partition("  ")[0] for command in app.get_system_commands(app.screen)}
        assert {"Copy activation text", "Copy number", "New code", "Phone (sandbox)", "Keys", "Quit"} <= titles
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), what="the keys screen")
        text = screen_text(app)
        for row in ("Copy text", "Copy number", "New code", "p / f2", "The simulated phone (sandbox)", "f1 / ?"):
            assert row in text
        assert "esc" not in text.split("Keys", 1)[1]  # Esc does not quit the sign-in any more


async def test_escape_on_the_sign_in_screen_does_not_quit(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    async with showing_a_code(sandbox.base_url) as (app, pilot, pending):
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, ActivationScreen) and pending.display_code in screen_text(app)


async def test_network_lost_while_polling_says_so_and_keeps_the_code(sandbox_factory) -> None:
    sandbox = sandbox_factory()
    host = sandbox.base_url.removeprefix("http://")
    async with showing_a_code(sandbox.base_url) as (app, pilot, pending):
        sandbox.stop()
        # While the server shuts down a poll may meet a dropped request (a server error,
        # "↻ retrying") before the closed port ("Can't reach"): wait for the closed port.
        await wait_for(
            pilot,
            lambda: app.screen.phase is Phase.RETRYING and f"Can't reach {host} — retrying in" in squash(screen_text(app)),
            what="the lost network",
        )
        text = squash(screen_text(app))
        assert "○ offline" in text
        # The code stays on screen: the text may still get through once the network is back.
        assert f"Plow Activate: {pending.display_code}" in text
        assert "Code expires in" in text
