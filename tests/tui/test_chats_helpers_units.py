"""The chats screen's helpers without Textual: what they keep, write and compute, in milliseconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from plow_tui.client.models import Chat, ChatMessage
from plow_tui.tui.plow.chat_admin import delete_question, waiting_members
from plow_tui.tui.plow.chat_book import ChatBook
from plow_tui.tui.plow.draft_keeper import DRAFT_SAVE_DELAY, DraftKeeper
from plow_tui.store.history import HistoryStore
from plow_tui.store.unsent import Unsent
from plow_tui.store.writer import StoreWriter
from plow_tui.tui.plow.search_jump import entries_from_hit
from plow_tui.tui.widgets.view_models import Entry

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


class Timers:
    """`set_timer` as the screen hands it over: records each timer; `fire()` runs the last one."""

    @dataclass
    class Timer:
        delay: float
        callback: Any
        stopped: bool = False

        def stop(self) -> None:
            self.stopped = True

    def __init__(self) -> None:
        self.made: list[Timers.Timer] = []

    def __call__(self, delay: float, callback: Any) -> Timers.Timer:
        self.made.append(self.Timer(delay, callback))
        return self.made[-1]

    def fire(self) -> None:
        self.made[-1].callback()


@dataclass
class Pane:
    """What the keeper reads of a pane: its outbox's unsent texts."""

    @dataclass
    class Outbox:
        unsent: list[Unsent] = field(default_factory=list)

    outbox: Outbox = field(default_factory=Outbox)


@dataclass
class History:
    """What the keeper uses of `LocalHistory`: the account's store's writer (an in-memory store here)."""

    writer: StoreWriter = field(default_factory=lambda: StoreWriter(HistoryStore.open(None)))

    def kept(self) -> tuple[dict[str, str], dict[str, list[Unsent]]]:
        """What the store holds once every queued write has run."""
        self.writer.flush()
        return self.writer.store.drafts(), self.writer.store.unsent()


def _keeper(panes: dict[str, Any] | None = None, history: History | None = None) -> tuple[DraftKeeper, ChatBook, Timers, History]:
    book, timers, history = ChatBook(), Timers(), history or History()
    keeper = DraftKeeper(book, panes if panes is not None else {}, timers, history, lambda: None)  # type: ignore[arg-type]
    keeper.load()
    return keeper, book, timers, history


def test_typing_is_saved_once_after_a_pause_and_the_mark_flips_only_when_a_draft_comes_or_goes() -> None:
    keeper, book, timers, history = _keeper()
    assert keeper.draft_changed("cht_1", "h")  # a draft came: the row's mark
    assert not keeper.draft_changed("cht_1", "hi")  # still a draft
    assert not keeper.draft_changed("cht_1", "hi")  # nothing changed: nothing scheduled
    assert [t.delay for t in timers.made] == [DRAFT_SAVE_DELAY, DRAFT_SAVE_DELAY]
    assert timers.made[0].stopped and not timers.made[1].stopped  # debounced: only the last one runs
    assert history.kept() == ({}, {})  # nothing stored before the pause
    timers.fire()
    assert history.kept() == ({"cht_1": "hi"}, {})
    assert keeper.draft_changed("cht_1", "")  # the draft went
    assert "cht_1" not in book.drafts


def test_a_text_leaving_the_editor_moves_to_the_unsent_list_in_one_write() -> None:
    pane = Pane()
    keeper, book, timers, history = _keeper({"cht_1": pane})
    keeper.draft_changed("cht_1", "on my way")
    timers.fire()
    assert history.kept() == ({"cht_1": "on my way"}, {})
    text = Unsent("local-1", "on my way", NOW)
    pane.outbox.unsent.append(text)  # the outbox took it
    written = keeper.left_editor("cht_1", [text])  # at once, not after a pause: the send waits for it
    assert written is not None
    written.result(timeout=10)
    assert history.kept() == ({}, {"cht_1": [text]})


def test_texts_from_before_a_restart_are_kept_until_their_chat_opens_and_said_where() -> None:
    history = History()
    history.writer.store.move_to_outbox("cht_1", [Unsent("local-1", "one", NOW), Unsent("local-2", "two", NOW)])
    keeper, book, _, _ = _keeper(history=history)
    chats = [Chat(uid="cht_1", display_name="Sarah"), Chat(uid="cht_2", display_name="Tom")]
    assert keeper.unsent_notice(chats) == (
        "2 texts from before the restart not sent yet, in Sarah. Open the chat to see or send again."
    )
    keeper.save()  # a chat never opened keeps its texts
    assert [t.uid for t in history.kept()[1]["cht_1"]] == ["local-1", "local-2"]
    assert keeper.unsent_notice(chats[1:]) is None


def _entry(uid: str, minutes: int) -> Entry:
    return Entry(uid, "Ada", uid, NOW + timedelta(minutes=minutes), False)


def _message(uid: str, minutes: int) -> ChatMessage:
    return ChatMessage(uid=uid, chat_uid="cht_1", body=uid, direction="inbound", created_at=NOW + timedelta(minutes=minutes))


def test_a_jump_shows_the_hit_to_the_newest_and_keeps_newer_entries_already_shown() -> None:
    shown = [_entry("m1", 1), _entry("local-1", 9), _entry("m0", -5)]
    found = [_message("m3", 3), _message("m2", 2)]  # newest first, as the store reads them
    assert [e.uid for e in entries_from_hit(shown, found, NOW)] == ["m2", "m3", "local-1"]


def test_delete_asks_in_words_and_new_codes_go_to_the_waiting() -> None:
    chat = Chat(uid="cht_1", display_name="Sarah")
    assert delete_question(chat, recreate=True).startswith("Delete “Sarah” and create it again")
    assert "no longer be reachable" in delete_question(chat, recreate=False)
    assert waiting_members(chat) == []


def test_message_entries_show_each_message_as_it_is() -> None:
    from plow_tui.client.models import Sender
    from plow_tui.tui.plow.views import message_entries, message_entry

    when = NOW - timedelta(minutes=3)
    messages = [
        ChatMessage("m1", "c", "inbound", "hi", "received", Sender("member", "cp_1", "Ada", "+15550001"), when),
        ChatMessage("m2", "c", "inbound", "no name", None, Sender("member", "cp_2", None, "+15550002"), None),
        ChatMessage("m3", "c", "inbound", "nobody", None, Sender(), when),
        ChatMessage("m4", "c", "outbound", "mine", None, Sender("agent"), when),
        ChatMessage("m5", "c", "outbound", "failed", "failed", Sender("agent"), when),
    ]
    assert message_entries(messages, NOW) == [
        Entry("m1", "Ada", "hi", when, False, None),
        Entry("m2", "+15550002", "no name", NOW, False, None),
        Entry("m3", "them", "nobody", when, False, None),
        Entry("m4", "you", "mine", when, True, "sent"),
        Entry("m5", "you", "failed", when, True, "failed"),
    ]
    assert [message_entry(m, NOW) for m in messages] == message_entries(messages, NOW)


def test_entries_made_ahead_are_those_made_at_once() -> None:
    """A catch-up's entries made page by page (`EntriesAhead`) are taken as made, the rest (the last page,
    messages without a time: they take the batch's time) made with the batch: the same as all made at once."""
    from plow_tui.client.models import Sender
    from plow_tui.tui.plow.views import EntriesAhead, message_entries

    when = NOW - timedelta(minutes=3)
    batch = [
        ChatMessage(f"m{n}", "c", "outbound" if n % 4 == 0 else "inbound", f"text {n}", "sent", Sender("member", "cp_1", "Ada"), when)
        for n in range(12)
    ]
    batch[5] = ChatMessage("m5", "c", "inbound", "no time", None, Sender(), None)
    ahead = EntriesAhead()
    ahead.prepare(reversed(batch[6:]), NOW - timedelta(hours=1))  # pages come newest first
    ahead.prepare(reversed(batch[2:6]), NOW - timedelta(hours=1))
    made_ahead = {e.uid: e for e in ahead.entries(batch[6:], NOW)}
    entries = ahead.entries(batch, NOW)
    assert entries == message_entries(batch, NOW)
    assert all(entries[n] is made_ahead[f"m{n}"] for n in range(6, 12))  # taken, not made again
    ahead.clear()
    assert ahead.entries(batch, NOW) == message_entries(batch, NOW)
