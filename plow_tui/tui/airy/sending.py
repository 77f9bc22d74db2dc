"""`AirySending`: Airy's way of sending a panel's texts.

A text shows at once as a "sending…" placeholder; the answer replaces it
(or, if the echo came first, it simply goes). A failed send is never retried
behind the person's back (Airy has no idempotency key, so a retry could post
twice): the text goes back into the editor with the reason.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message

from plow_tui.client.airy.errors import AiryError
from plow_tui.tui.airy.views import airy_entry
from plow_tui.tui.widgets.chat_panel import Sending
from plow_tui.tui.widgets.conversation import Conversation
from plow_tui.tui.widgets.view_models import Entry

if TYPE_CHECKING:
    from plow_tui.client.airy.conversation import AiryConversation
    from plow_tui.client.airy.models import AiryMessage


class AirySending(Sending):
    """Sends the visitor's texts into the Airy conversation, one request each."""

    @dataclass
    class _Finished(Message):
        local_uid: str
        text: str
        message: AiryMessage | None
        error: AiryError | None

    def __init__(self, shown: Conversation, airy: Callable[[], AiryConversation], clock: Callable[[], datetime]) -> None:
        super().__init__(shown)
        self._airy = airy
        self._clock = clock
        self._local_ids = itertools.count(1)

    def send(self, text: str) -> int:
        local_uid = f"local-{next(self._local_ids)}"
        self.post_message(self.Placed([Entry(local_uid, "you", text, self._clock(), True, "sending")]))
        self._send(local_uid, text)
        return 1

    @work(group="airy-send", exit_on_error=False)
    async def _send(self, local_uid: str, text: str) -> None:
        try:
            sent = await self._airy().send(text)
        except AiryError as error:
            self.post_message(self._Finished(local_uid, text, None, error))
        else:
            self.post_message(self._Finished(local_uid, text, sent, None))

    @on(_Finished)
    def _finished(self, message: _Finished) -> None:
        message.stop()
        if message.message is not None:
            self.post_message(self.Noticed(None))
            self.post_message(self.Landed(message.local_uid, airy_entry(message.message, self._clock())))
        else:
            self.post_message(
                self.Withdrawn(message.local_uid, message.text, f"Not sent: {message.error} Your text is back in the editor.")
            )
