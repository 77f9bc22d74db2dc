"""ChatFeed hands arrived messages to the screen at once, or gathered with what arrives within a frame."""

from __future__ import annotations

from support.waits import wait_for
from textual.app import App, ComposeResult

from plow_tui.client import events as ev
from plow_tui.client.models import ChatMessage
from plow_tui.tui.plow import chat_feed
from plow_tui.tui.plow.chat_feed import ChatFeed


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.posted: list[tuple[str, ...]] = []

    def compose(self) -> ComposeResult:
        yield ChatFeed(lambda: None)  # type: ignore[arg-type, return-value]  # no stream is started here

    def on_chat_feed_event(self, message: ChatFeed.Event) -> None:
        assert isinstance(message.event, ev.MessagesArrived)
        self.posted.append(tuple(m.uid for m in message.event.messages))


def arrived(*uids: str) -> list[ChatMessage]:
    return [ChatMessage(uid=uid, chat_uid="cht_1", body=uid) for uid in uids]


async def test_a_message_alone_goes_at_once_and_a_burst_in_one_batch_per_frame(monkeypatch) -> None:
    # Posted one by one, a burst kept the screen busy with messages, and it paints only
    # when it has none to handle: a key typed meanwhile waited for all of them (issue #19).
    monkeypatch.setattr(chat_feed, "GATHER_INTERVAL", 0.5)  # "within a frame", long enough for a busy machine
    app = Host()
    async with app.run_test() as pilot:
        feed = app.query_one(ChatFeed)
        feed._gather(arrived("m1"))
        await pilot.pause()
        assert app.posted == [("m1",)]  # at once
        for uid in ("m2", "m3", "m4"):
            feed._gather(arrived(uid))
            await pilot.pause()
        assert app.posted == [("m1",)]  # within the interval: gathered
        await wait_for(pilot, lambda: len(app.posted) >= 2, what="the gathered batch")
        assert app.posted == [("m1",), ("m2", "m3", "m4")]  # one batch, in order
