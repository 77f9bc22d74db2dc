"""Snapshots of the activation screen, with a fake server and a fixed clock.

`snap_compare` runs in a sync test, so nothing here may need an async
fixture (CONVENTIONS §4): the fakes give a fixed code, number and time.
"""

from __future__ import annotations

from app_fakes import CODE, fake_app

from plow_tui.client.errors import ActivationExpired
from plow_tui.client.models import Redeem
from plow_tui.tui.screens.activation import ActivationScreen, Phase


def _until(phase: Phase):
    async def run_before(pilot) -> None:
        app = pilot.app
        for _ in range(200):
            screen = app.screen
            if isinstance(screen, ActivationScreen) and screen.phase is phase and screen.last_checked is not None:
                break
            if isinstance(screen, ActivationScreen) and screen.phase is phase and phase is not Phase.WAITING:
                break
            await pilot.pause(0.02)
        else:
            raise AssertionError(f"the screen never reached {phase}")
        assert CODE in app.screen.query_one("#activation-code").render().plain
        await pilot.pause()

    return run_before


def _expired() -> Redeem:
    raise ActivationExpired("Activation expired.", status=410)


def test_activation_pending_80x24(snap_compare) -> None:
    assert snap_compare(fake_app(), terminal_size=(80, 24), run_before=_until(Phase.WAITING))


def test_activation_pending_100x30_sandbox(snap_compare) -> None:
    app = fake_app(api_url="http://127.0.0.1:8765", sandbox=True)
    assert snap_compare(app, terminal_size=(100, 30), run_before=_until(Phase.WAITING))


def test_activation_expired(snap_compare) -> None:
    assert snap_compare(fake_app(redeem=_expired), terminal_size=(80, 24), run_before=_until(Phase.EXPIRED))


def test_activation_narrow_hides_qr(snap_compare) -> None:
    assert snap_compare(fake_app(), terminal_size=(60, 24), run_before=_until(Phase.WAITING))
