"""A snapshot of the Airy screen on a scripted conversation at a fixed time (looked at as a PNG before it was accepted)."""

from __future__ import annotations

import pytest
from airy_fakes import HISTORY, fake_airy_app
from app_fakes import wait_for

from plow_tui.tui.screens.airy import AiryScreen


pytestmark = pytest.mark.usefixtures("utc_local_time")


async def _conversation_shown(pilot) -> None:
    app = pilot.app
    screen = await wait_for(pilot, lambda: isinstance(app.screen, AiryScreen) and app.screen, what="the Airy screen")
    await wait_for(pilot, lambda: len(screen.conversation.entries) == len(HISTORY), what="the history")
    await wait_for(pilot, lambda: screen.compose_box.disabled_reason is None, what="sending allowed")
    screen.compose_box.draft = "Could you send the tracking link here too?"
    await pilot.pause()


def test_airy_screen_100x24(snap_compare) -> None:
    assert snap_compare(fake_airy_app(), terminal_size=(100, 24), run_before=_conversation_shown)
