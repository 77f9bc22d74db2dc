"""A text from the editor goes out only once the store has it (the draft out, the outbox in: one write)."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any

from app_fakes import wait_for
from support.widget_host import WidgetHost
from textual.app import ComposeResult

from plow_tui.client.models import ChatMessage
from plow_tui.tui.plow.outbox import Outbox
from plow_tui.tui.widgets.conversation import Conversation

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


class Api:
    """What the outbox calls to send: records each text."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_message(self, chat_uid: str, body: str) -> ChatMessage:
        self.sent.append(body)
        return ChatMessage(uid=f"msg_{len(self.sent)}", chat_uid=chat_uid, body=body, direction="outbound", status="sent", created_at=NOW)


class Host(WidgetHost):
    def __init__(self, api: Api, keep: Any) -> None:
        super().__init__()
        self.api, self.keep = api, keep

    def compose(self) -> ComposeResult:
        shown = Conversation()
        yield shown
        yield Outbox(shown, "cht_1", lambda: self.api, lambda: NOW, keep=self.keep)  # type: ignore[arg-type]


async def test_the_send_waits_for_the_stores_write_before_its_request() -> None:
    api, written = Api(), Future()
    kept: list[list[str]] = []

    def keep(texts: Any) -> Future:
        kept.append([t.body for t in texts])
        return written  # the store's writer has not run it yet

    app = Host(api, keep)
    async with app.run_test() as pilot:
        outbox = app.query_one(Outbox)
        outbox.submit("hello")
        assert kept == [["hello"]]  # handed to the store at once, in the same turn
        await wait_for(pilot, lambda: [t.body for t in outbox.unsent] == ["hello"], what="the text queued")
        await pilot.pause()
        assert api.sent == []  # not before the store has it
        written.set_result(None)
        await wait_for(pilot, lambda: api.sent == ["hello"], what="sent once the store had it")
