"""Snapshots of the activation screen, with a fake server and a fixed clock.

`snap_compare` runs in a sync test, so nothing here may need an async
fixture (CONVENTIONS §4): the fakes give a fixed code, number and time. The
steps into each state are the ones the README's screenshots use.
"""

from __future__ import annotations

from app_fakes import fake_app

from support.screenshots import activation_in, expired_redeem


def test_activation_pending_80x24(snap_compare) -> None:
    assert snap_compare(fake_app(), terminal_size=(80, 24), run_before=activation_in("WAITING"))


def test_activation_pending_100x30_sandbox(snap_compare) -> None:
    app = fake_app(api_url="http://127.0.0.1:8765", sandbox=True)
    assert snap_compare(app, terminal_size=(100, 30), run_before=activation_in("WAITING"))


def test_activation_expired(snap_compare) -> None:
    assert snap_compare(fake_app(redeem=expired_redeem), terminal_size=(80, 24), run_before=activation_in("EXPIRED"))


def test_activation_narrow_hides_qr(snap_compare) -> None:
    assert snap_compare(fake_app(), terminal_size=(60, 24), run_before=activation_in("WAITING"))


def test_activation_pending_80x24_sandbox(snap_compare) -> None:
    # The quick start's key (F2, the phone) must be in the footer at 80 columns.
    app = fake_app(api_url="http://127.0.0.1:8765", sandbox=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=activation_in("WAITING"))
