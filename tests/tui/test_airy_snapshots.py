"""A snapshot of the Airy screen on a scripted conversation at a fixed time (looked at as a PNG before it was accepted)."""

from __future__ import annotations


from support.demo_data import fake_airy_app
from support.screenshots import airy_conversation



def test_airy_screen_100x24(snap_compare) -> None:
    assert snap_compare(fake_airy_app(), terminal_size=(100, 24), run_before=airy_conversation)


def test_airy_screen_80x24(snap_compare) -> None:
    assert snap_compare(fake_airy_app(), terminal_size=(80, 24), run_before=airy_conversation)
