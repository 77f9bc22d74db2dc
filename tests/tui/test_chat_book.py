"""Every rule of the chat book, without Textual: fed events, checked on what it answers (milliseconds each)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from plow_tui.client.models import Chat, Member, ChatMessage
from plow_tui.client.stream import NO_MESSAGES
from plow_tui.tui.plow.chat_book import Arrival, ChatBook, in_order
from plow_tui.store.unsent import Unsent

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def chat(uid: str, status: str = "active", members: tuple[Member, ...] = ()) -> Chat:
    return Chat(uid=uid, status=status, display_name=uid, members=members)


def text(uid: str, chat_uid: str, minute: int = 0, *, outbound: bool = False, status: str | None = None) -> ChatMessage:
    return ChatMessage(
        uid=uid,
        chat_uid=chat_uid,
        direction="outbound" if outbound else "inbound",
        body=uid,
        status=status or ("sent" if outbound else "received"),
        created_at=T0 + timedelta(minutes=minute),
    )


def test_the_book_needs_no_textual() -> None:
    code = "import sys, plow_tui.tui.plow.chat_book; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_chat_no_longer_listed_is_removed_unless_it_failed() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a"), chat("b"), chat("c", status="failed")])
    listed = book.chats_loaded([chat("a")])
    assert listed.removed == ("b",)  # the failed one stays: its reason must stay visible
    assert set(book.chats) == {"a", "b", "c"}  # removing is the caller's step (`remove`)


def test_chats_without_a_known_newest_message_need_a_preview() -> None:
    book = ChatBook()
    book.note_last("a", text("m1", "a"))
    book.previews_loaded({"b": None})
    listed = book.chats_loaded([chat("a"), chat("b"), chat("c")])
    assert listed.without_preview == ("c",)


def test_previews_fill_only_chats_without_one_and_mark_empty_ones() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a"), chat("b"), chat("c")])
    newer = text("newer", "a", 5)
    book.note_last("a", newer)
    fresh = book.previews_loaded({"a": text("older", "a", 1), "b": text("m", "b"), "c": None, "x": text("m", "x")})
    assert fresh == ["b"]  # not "a" (already known), not "x" (not listed)
    assert book.last["a"] is newer
    assert book.empty == {"c"}


def test_the_preview_only_moves_forward_in_time() -> None:
    book = ChatBook()
    book.note_last("a", text("m2", "a", 2))
    book.note_last("a", text("m1", "a", 1))
    assert book.last["a"].uid == "m2"
    book.note_last("a", text("m3", "a", 2))  # the same time: the later one told wins
    assert book.last["a"].uid == "m3"
    undated = ChatMessage(uid="m4", chat_uid="a")
    book.note_last("a", undated)  # no time: taken (nothing says it is older)
    assert book.last["a"] is undated


def test_a_message_in_an_empty_chat_makes_it_not_empty() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a")])
    book.previews_loaded({"a": None})
    book.messages_arrived([text("m1", "a")])
    assert "a" not in book.empty


def test_anchors_are_the_newest_held_or_none_or_no_messages() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a"), chat("b"), chat("c")])
    book.previews_loaded({"a": text("m1", "a"), "b": None})
    book.note_last("x", text("m9", "x"))  # not listed: not followed
    assert book.anchors() == {"a": "m1", "b": NO_MESSAGES, "c": None}


def test_inbound_messages_of_a_chat_not_open_count_as_unread() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a"), chat("b")])
    book.open("a")
    book.first_page_loaded("a", [])
    arrivals = book.messages_arrived(
        [text("1", "a"), text("2", "b"), text("3", "b", outbound=True), text("4", "b"), ChatMessage(uid="5")]
    )
    assert book.unread == {"b": 2}  # outbound and the open chat's do not count; no chat uid: ignored
    assert [a.chat_uid for a in arrivals] == ["a", "b"]
    assert arrivals[1] == Arrival("b", show=(), inbound=2, unknown=False, newest_inbound=arrivals[1].newest_inbound)
    assert arrivals[1].newest_inbound is not None and arrivals[1].newest_inbound.uid == "4"  # for a notification
    assert book.last["b"].uid == "4"


def test_a_batch_of_one_chat_is_taken_as_in_a_batch_of_several() -> None:
    """One chat's batch (a catch-up's) is grouped at once: the same counts, previews and answers as when
    other chats' messages come with it; a batch of messages without a chat is ignored."""
    batch = [text(str(n), "b", n, outbound=n % 3 == 0) for n in range(1, 10)]
    alone, mixed = ChatBook(), ChatBook()
    for book in (alone, mixed):
        book.chats_loaded([chat("a"), chat("b")])
    (arrival,) = alone.messages_arrived(batch)
    arrivals = mixed.messages_arrived([text("0", "a")] + batch)
    assert arrival == arrivals[1] and arrival.inbound == 6 and arrival.newest_inbound.uid == "8"
    assert alone.unread == {"b": 6} and mixed.unread == {"a": 1, "b": 6}
    assert alone.last["b"] is mixed.last["b"] is batch[-1]
    assert alone.messages_arrived([ChatMessage(uid="x"), ChatMessage(uid="y")]) == []


def test_opening_a_chat_clears_its_unread_count() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a")])
    book.messages_arrived([text("1", "a")])
    assert book.unread == {"a": 1}
    assert book.open("a") == (True, [])
    assert book.unread == {} and book.open_uid == "a"
    assert book.open("a")[0] is False  # the second time: the pane exists


def test_a_message_in_an_unlisted_chat_asks_for_the_list() -> None:
    book = ChatBook()
    (arrival,) = book.messages_arrived([text("1", "new")])
    assert arrival.unknown


def test_messages_for_a_loaded_open_chat_are_shown_now() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a")])
    book.open("a")
    book.first_page_loaded("a", [])
    (arrival,) = book.messages_arrived([text("1", "a"), text("2", "a")])
    assert [m.uid for m in arrival.show] == ["1", "2"]
    assert book.early == {}


def test_arrivals_while_the_first_page_loads_are_replayed_over_it_in_order() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a")])
    book.open("a")
    (arrival,) = book.messages_arrived([text("1", "a", 1)])
    assert arrival.show == ()  # not shown yet: the page may not have it
    sent = text("2", "a", 2, outbound=True, status="delivered")
    assert book.status_changed(sent) is False
    page = [text("0", "a", 0)]
    early = book.first_page_loaded("a", page)
    assert [m.uid for m in early] == ["1", "2"]
    assert book.early == {}
    assert book.last["a"].uid == "1"  # the page's newest is older than what arrived
    assert book.status_changed(text("2", "a", 2, outbound=True, status="failed")) is True  # loaded now: applied


def test_the_first_page_moves_the_preview() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a")])
    book.open("a")
    book.first_page_loaded("a", [text("new", "a", 3), text("old", "a", 1)])  # newest first
    assert book.last["a"].uid == "new"


def test_status_changes_of_chats_never_opened_are_not_kept() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a")])
    assert book.status_changed(text("1", "a", outbound=True, status="delivered")) is False
    book.messages_arrived([text("2", "a")])
    assert book.early == {}


def test_codes_are_kept_per_member_and_the_first_waiting_one_is_offered() -> None:
    waiting = Member(uid="m1", status="pending_verification")
    done = Member(uid="m2", status="active")
    book = ChatBook()
    team = chat("a", status="pending", members=(done, waiting))
    book.created(team, [Member(uid="m1", verification_code="VERIFY-111"), Member(uid="m2")])
    assert "a" in book.empty  # just created: nothing to backfill
    assert set(book.codes["a"]) == {"m1"}  # a member without a code is not kept
    book.update(team)
    assert book.waiting_code(team) == "VERIFY-111"
    book.add_codes("a", [Member(uid="m1", verification_code="VERIFY-222")])
    assert book.waiting_code(team) == "VERIFY-222"


def test_a_chat_created_again_is_not_marked_empty() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a")])
    book.note_last("a", text("1", "a"))
    book.created(chat("a"))
    assert "a" not in book.empty


def test_a_verified_member_replaces_the_waiting_one() -> None:
    book = ChatBook()
    book.chats_loaded([chat("a", members=(Member(uid="m1", status="pending_verification"),))])
    updated = book.member_verified("a", Member(uid="m1", status="active"))
    assert updated is not None and updated.members[0].is_verified and book.chats["a"] is updated
    assert book.member_verified("elsewhere", Member(uid="m1")) is None


def test_removing_a_chat_forgets_everything_and_says_if_drafts_changed() -> None:
    book = ChatBook()
    book.drafts, book.restored = {"a": "hello"}, {"b": [Unsent(uid="u", body="x", at=T0, state="unknown")]}
    book.chats_loaded([chat("a"), chat("b"), chat("c")])
    book.open("a")
    book.messages_arrived([text("1", "a"), text("2", "c")])
    book.add_codes("a", [Member(uid="m", verification_code="VERIFY-1")])
    assert book.remove("a") is True
    assert book.open_uid is None and "a" not in book.chats and "a" not in book.last and "a" not in book.codes
    assert "a" not in book.opened and "a" not in book.early and "a" not in book.drafts
    assert book.remove("b") is True  # its unsent texts from before the restart
    assert book.remove("c") is False
    assert book.unread == {}


def test_a_restored_chat_hands_its_unsent_texts_to_its_first_opening_only() -> None:
    unsent = [Unsent(uid="u", body="x", at=T0, state="failed")]
    book = ChatBook()
    book.restored = {"a": unsent}
    book.chats_loaded([chat("a")])
    assert book.open("a") == (True, unsent)
    assert book.restored == {}


def test_appending_keeps_order_while_older_pages_exist() -> None:
    entries = [(T0, "old"), (T0 + timedelta(minutes=5), "new"), (T0, "shown")]

    def kept(has_older: bool, oldest: datetime | None) -> list[str]:
        return [
            uid
            for _, uid in in_order(
                entries, at=lambda e: e[0], oldest_shown=oldest, has_older=has_older, shown=lambda e: e[1] == "shown"
            )
        ]

    later = T0 + timedelta(minutes=1)
    assert kept(True, later) == ["new", "shown"]  # the older page brings "old"
    assert kept(False, later) == ["old", "new", "shown"]  # nothing older exists: all of it
    assert kept(True, None) == ["old", "new", "shown"]  # nothing shown yet
    assert kept(True, T0) == ["old", "new", "shown"]  # none older than the oldest shown: all of it


def test_a_chats_newest_unsent_text_is_its_own_until_opened_then_the_outboxs() -> None:
    waiting = Unsent(uid="u1", body="later", at=T0 + timedelta(minutes=5), state="waiting")
    book = ChatBook()
    book.restored = {"a": [Unsent(uid="u0", body="x", at=T0, state="failed"), waiting]}
    book.chats_loaded([chat("a"), chat("b")])
    assert book.newest_unsent("a") == waiting  # from before the restart
    assert book.newest_unsent("b") is None
    book.open("a")  # its texts are now its outbox's, which tells the book
    assert book.newest_unsent("a") is None
    assert book.note_unsent("a", [waiting]) is True
    assert book.note_unsent("a", [waiting]) is False  # nothing new to draw
    assert book.newest_unsent("a") == waiting
    assert book.note_unsent("a", []) is True
    assert book.newest_unsent("a") is None


def test_a_rows_preview_is_the_newer_of_its_last_message_and_its_waiting_text() -> None:
    from plow_tui.tui.plow.views import chat_summary

    last = text("m1", "a", 3, outbound=True)
    newer = Unsent(uid="u", body="on its way", at=T0 + timedelta(minutes=4), state="waiting")
    older = Unsent(uid="u", body="refused", at=T0 + timedelta(minutes=2), state="failed")
    assert chat_summary(chat("a"), last=last, unsent=newer).preview == "you: ◷ on its way"
    assert chat_summary(chat("a"), last=None, unsent=older).preview == "you: ✗ refused"
    assert chat_summary(chat("a"), last=last, unsent=older).preview == "you: m1"
    assert chat_summary(chat("a"), last=last).preview == "you: m1"
