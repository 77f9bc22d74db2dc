"""Snapshots of the main screen and the new chat dialog, against `FakePlow` at a fixed time.

The fakes (`support.demo_data`) and the steps into each state
(`support.screenshots`) are the ones the README's screenshots use.
Each snapshot was looked at as a PNG before it was accepted.
"""

from __future__ import annotations


from support.demo_data import chats_app as snapshot_app
from support.screenshots import (
    busy_main_screen,
    confirm_delete,
    failed_chat,
    keys_of_main_screen,
    new_chat_dialog,
    new_messages_and_draft,
    pending_codes,
)




def test_main_screen_100x30(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(100, 30), run_before=busy_main_screen)


def test_main_screen_80x24_sandbox(snap_compare) -> None:
    app = snapshot_app(api_url="http://127.0.0.1:8765", sandbox=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=busy_main_screen)


def test_new_messages_line_and_draft_mark_120x40(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=new_messages_and_draft)


def test_new_messages_line_and_draft_mark_80x24(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=new_messages_and_draft)


def test_failed_chat(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(100, 30), run_before=failed_chat)


def test_new_chat_dialog(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(100, 30), run_before=new_chat_dialog)


def test_new_chat_pending_codes(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(110, 32), run_before=pending_codes)


def test_new_chat_pending_codes_80x24(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=pending_codes)


# Every screen at 80x24 (issue #17): nothing cut, every button and key in view.


def test_failed_chat_80x24(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=failed_chat)


def test_confirm_delete_80x24(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=confirm_delete)


def test_new_chat_dialog_80x24(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=new_chat_dialog)


def test_keys_80x24(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=keys_of_main_screen)
