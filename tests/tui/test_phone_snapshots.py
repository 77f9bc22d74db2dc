"""Snapshot of the simulated phone, with a fake handset (fixed inbox, quiet socket).

The app and the steps are the ones the README's screenshot of the phone uses.
"""

from __future__ import annotations

from support.demo_data import phone_app
from support.screenshots import phone_live


def test_phone_snapshot(snap_compare) -> None:
    assert snap_compare(phone_app(), terminal_size=(80, 24), run_before=phone_live)
