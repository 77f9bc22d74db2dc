"""Nothing typed is lost to a restart: texts that did not go out come back with their state, and `r` sends them once.

The rules are unit-tested here (the drafts file, `landed_as`); the restart
runs the real app twice against a sandbox over loopback with one state
directory. Killing the process mid-send is in tests/reliability/test_reliability_unsent.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from app_fakes import sandbox_factory, screen_text, squash, wait_for  # noqa: F401 - sandbox_factory is a fixture
from chats_helpers import fault, history, kept, on_main_screen, opened_chat, phone_texts, shown_uids, signed_up

from plow_tui.client.models import ChatMessage
from plow_tui.store.legacy_drafts import LegacyDrafts
from plow_tui.store.location import Histories
from plow_tui.store.unsent import Unsent
from plow_tui.tui.plow.outbox import landed_as

AT = datetime(2026, 9, 14, 12, 0, tzinfo=timezone.utc)


# -- the old drafts file (imported into the store: tests/store/test_drafts_import.py) -----------


def test_an_older_file_and_damaged_entries_still_read(tmp_path) -> None:
    path = tmp_path / "drafts.json"
    good = {"uid": "local-9", "body": "kept", "at": AT.isoformat(), "state": "unknown", "after": None}
    path.write_text(
        json.dumps(
            {
                "http://x": {
                    "cht_old": "a draft from an older version",
                    "cht_new": {"draft": 7, "unsent": [good, {"uid": "local-8"}, "junk", {**good, "at": "yesterday"}]},
                    "cht_odd": {"unsent": [{**good, "state": "exploded"}]},
                    "cht_bad": ["not", "a", "chat"],
                }
            }
        )
    )
    drafts, unsent = LegacyDrafts("http://x", path).load()
    assert drafts == {"cht_old": "a draft from an older version"}
    assert unsent == {"cht_new": [Unsent("local-9", "kept", AT, "unknown")], "cht_odd": [Unsent("local-9", "kept", AT, "unknown")]}


# -- whether a text landed ---------------------------------------------------------------


def _message(uid: str, body: str, *, out: bool = True, minutes: float = 0) -> ChatMessage:
    return ChatMessage.from_json(
        {
            "uid": uid,
            "object": "message",
            "body": body,
            "direction": "outbound" if out else "inbound",
            "created_at": (AT + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def test_landed_as_finds_the_newest_sends_own_message_only() -> None:
    text = Unsent("local-1", "ok", AT, "sending", after="m2")
    page = [_message("m4", "ok", minutes=1), _message("m3", "ok", out=False), _message("m2", "ok"), _message("m1", "ok")]
    assert page[0].is_outbound and not page[1].is_outbound
    assert landed_as(text, page, set()) == page[0]
    assert landed_as(text, page, {"m4"}) is None  # another of our sends became m4
    assert landed_as(text, page[2:], set()) is None  # an identical text from before it was sent is not it
    # Two identical sends: the older message is taken first.
    two = [_message("m6", "ok", minutes=2), _message("m5", "ok", minutes=1)]
    assert landed_as(text, two, set()) == two[1]
    assert landed_as(text, two, {"m5"}) == two[0]
    # With no anchor, only the clock tells an old identical text apart.
    assert landed_as(Unsent("local-1", "ok", AT), [_message("m0", "ok", minutes=-60)], set()) is None
    assert landed_as(Unsent("local-1", "ok", AT), [_message("m0", "ok", minutes=-1)], set()) is not None


# -- the app, restarted --------------------------------------------------------------------


def _quiet(app) -> bool:
    """Only the live stream's workers are running: the next request to the server is the test's."""
    return all(worker.is_finished or worker.group.startswith("stream") for worker in app.workers)


def _saved_unsent(account, chat_uid: str) -> list[tuple[str, str]]:  # noqa: ANN001
    """(body, state) of the chat's unsent texts in the account's store."""
    return kept(account.base, account.token)[1].get(chat_uid, [])


async def test_a_refused_text_survives_a_restart_and_r_sends_it_once(sandbox_factory) -> None:
    account = await signed_up(sandbox_factory, delivery_delay_ms=10)
    base, chat = account.base, account.chat
    async with opened_chat(account, keep_history=True) as first:
        await wait_for(first.pilot, lambda: first.screen.stream_live and _quiet(first.app), what="a quiet app")
        await fault(base, fail_next={"status": 400, "count": 1})
        first.pane.compose_box.draft = "do not lose me"
        first.pane.compose_box.focus()
        await first.pilot.press("enter")
        await wait_for(
            first.pilot,
            lambda: [e.state for e in first.pane.conversation.entries] == ["failed"],
            what="the text refused",
        )
        await wait_for(
            first.pilot,
            lambda: _saved_unsent(account, chat.uid) == [("do not lose me", "failed")],
            what="the refused text saved",
        )

    async with opened_chat(account, keep_history=True) as second:  # a new app: what it knows comes from the store
        s = second
        [entry] = await wait_for(s.pilot, lambda: list(s.pane.conversation.entries), what="the text shown again")
        assert (entry.body, entry.state) == ("do not lose me", "failed")
        text = await wait_for(
            s.pilot, lambda: "do not lose me" in (t := squash(screen_text(s.app))) and t, what="the text on screen"
        )
        assert "✗" in text and "Not sent before the app closed" in text
        assert await history(base, account.token, chat.uid) == []
        s.pane.conversation.focus()
        s.pane.conversation.select(entry.uid)
        await s.pilot.press("r")
        await wait_for(
            s.pilot,
            lambda: [e.state for e in s.pane.conversation.entries] == ["delivered"],
            what="the text delivered",
        )
        on_server = await history(base, account.token, chat.uid)
        assert [m.body for m in on_server] == ["do not lose me"]
        assert shown_uids(s.pane) == [m.uid for m in on_server]
        assert (await phone_texts(base, account.phone)).count("do not lose me") == 1
        await wait_for(s.pilot, lambda: _saved_unsent(account, chat.uid) == [], what="the sent text forgotten on disk")


async def test_unsent_texts_of_a_chat_not_opened_are_announced_and_kept(sandbox_factory) -> None:
    account = await signed_up(sandbox_factory)
    store = Histories(account.base).open_for(account.token, [account.chat])
    assert store is not None
    store.move_to_outbox(account.chat.uid, [Unsent("local-1", "from last time", AT, "failed")])  # as a run before this one left it
    store.close()
    async with on_main_screen(account, keep_history=True) as s:
        # A toast (it wraps on screen, so read it from the app's notifications).
        await wait_for(
            s.pilot,
            lambda: any("1 text from before the restart not sent yet, in Ada" in n.message for n in s.app._notifications),
            what="the toast",
        )
        s.screen.drafts.save()  # a save while the chat was never opened keeps its texts
        s.screen.history.writer.flush()
        assert _saved_unsent(account, account.chat.uid) == [("from last time", "failed")]
