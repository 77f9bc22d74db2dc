"""Snapshot of the simulated phone, with a fake handset (fixed inbox, quiet socket)."""

from __future__ import annotations

from datetime import timedelta, timezone

from app_fakes import FIXED_NOW, LINE, FakePhone, FixedClock

from plow_tui.client.phone import PhoneText
from plow_tui.tui.app import PhoneApp
from plow_tui.tui.screens.phone import Draft, PhoneScreen

ME = "+15551230002"
INBOX = [
    PhoneText(LINE, ME, "Welcome to Plow! Reply here to chat with Ada.", FIXED_NOW - timedelta(minutes=3)),
    PhoneText(LINE, ME, "are we still on for 3? [bold]not markup[/bold]", FIXED_NOW - timedelta(minutes=1)),
]


def _phone_factory(base_url: str, phone: str) -> FakePhone:
    return FakePhone(base_url, phone, INBOX)


async def _until_live(pilot) -> None:
    for _ in range(200):
        if isinstance(pilot.app.screen, PhoneScreen) and "live" in str(pilot.app.screen.query_one("StatusBar").render()):
            break
        await pilot.pause(0.02)
    else:
        raise AssertionError("the phone never went live")
    await pilot.pause()


def test_phone_snapshot(snap_compare) -> None:
    app = PhoneApp(
        "http://127.0.0.1:8765",
        ME,
        phone_factory=_phone_factory,
        draft=Draft(text="Plow Activate: K7Q2D", to=LINE),
        now=FixedClock(),
        tz=timezone.utc,
        cursor_blink=False,
        animation_level="none",
    )
    assert snap_compare(app, terminal_size=(80, 24), run_before=_until_live)
