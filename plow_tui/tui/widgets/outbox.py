"""`Outbox`: one chat's sending, from "sending…" to the real message, and every way it can fail.

Each `ChatPane` has one (an invisible child that owns the send workers), so
a chat's texts, retries and notices stay with that chat. The rules:

- A text shows at once as a "sending" placeholder; it becomes the real
  message when the POST answers, and if the socket's echo came first the
  placeholder simply goes (one message, never two).
- 409 `chat_not_ready`: the placeholder goes and the text returns to the
  editor, with the reason.
- Delivery unknown (408/424/5xx): marked `?`; the history is checked at once,
  and a retry checks it again first, so a retry never duplicates a text that
  did land. If the check itself fails, nothing is resent.
- Any other failure: marked `✗`; the text stays, and `r` sends it again.
- Accepted, then reported `failed` by the server (delivery failed): the `✗`
  stays on that message (it is the server's record); the notice says why,
  and `r` on it sends the text again as a new message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import count
from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message as TextualMessage
from textual.widget import Widget

from plow_tui.client.errors import ChatNotReady, DeliveryUnknown, NotSignedIn, PlowError
from plow_tui.client.models import Message
from plow_tui.tui.plow_views import later_state, message_entry, split_body
from plow_tui.tui.widgets.conversation import Entry

if TYPE_CHECKING:
    from plow_tui.client.http import PlowClient
    from plow_tui.tui.widgets.chat_pane import ChatPane

# Outbound messages searched when checking whether an unknown send landed.
CHECK_PAGE_SIZE = 50
# How far before a send's local time the server may date its message (clock skew).
RECONCILE_WINDOW = timedelta(minutes=5)


class Outbox(Widget):
    """Sends for the chat of the `ChatPane` it sits in; posts `Sent` and `SignInRefused` upwards."""

    DEFAULT_CSS = "Outbox { display: none; }"

    class Sent(TextualMessage):
        """A text is on the server as `message` (for the chat list's preview)."""

        def __init__(self, chat_uid: str, message: Message) -> None:
            super().__init__()
            self.chat_uid = chat_uid
            self.message = message

    class SignInRefused(TextualMessage):
        """The server refused the token while sending: the app must sign in again."""

        def __init__(self, error: PlowError) -> None:
            super().__init__()
            self.error = error

    class _Finished(TextualMessage):
        def __init__(self, local_uid: str, body: str, message: Message | None, error: PlowError | None) -> None:
            super().__init__()
            self.local_uid = local_uid
            self.body = body
            self.message = message
            self.error = error

    class _NotLanded(TextualMessage):
        def __init__(self, local_uid: str) -> None:
            super().__init__()
            self.local_uid = local_uid

    class _CheckFailed(TextualMessage):
        def __init__(self, local_uid: str, body: str, error: PlowError) -> None:
            super().__init__()
            self.local_uid = local_uid
            self.body = body
            self.error = error

    def __init__(self, api: Callable[[], PlowClient], clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._api = api
        self._clock = clock
        self._local_ids = count(1)
        self._unsent: dict[str, str] = {}  # local uid -> body, of sends that may be retried
        self._undelivered: dict[str, str] = {}  # server uid -> body, of texts the server could not deliver

    @property
    def pane(self) -> ChatPane:
        return self.parent  # type: ignore[return-value]

    @property
    def chat_uid(self) -> str:
        return self.pane.chat.uid

    # -- what the screen calls ------------------------------------------------------

    def send(self, text: str) -> int:
        """Send `text` (in parts of at most 4,000 characters); returns the number of parts."""
        parts = split_body(text)
        now = self._clock()
        for body in parts:
            local_uid = f"local-{next(self._local_ids)}"
            self.pane.conversation.add_entries([Entry(local_uid, "you", body, now, True, "sending")])
            self._send(local_uid, body)
        return len(parts)

    @property
    def selected_unsent(self) -> str | None:
        """The selected message, if it is one that may be retried."""
        uid = self.pane.conversation.selected_uid
        return uid if uid in self._unsent or uid in self._undelivered else None

    def delivery_failed(self, uid: str, body: str, reason: str | None) -> None:
        """The server could not deliver message `uid`: say why, and let `r` send it again."""
        self._undelivered[uid] = body
        why = reason or "the server gave no reason"
        self.pane.show_notice(f"Not delivered (✗): {why}. Select it and press r to send it again.")

    def retry_selected(self) -> None:
        """Send the selected failed or unknown text again, after checking it did not land."""
        local_uid = self.selected_unsent
        if local_uid is None:
            return
        if local_uid in self._undelivered:
            # The server has it, marked failed: a new message, not a retry of the same one.
            self.pane.show_notice(None)
            self.send(self._undelivered.pop(local_uid))
            return
        body = self._unsent.pop(local_uid)
        self.pane.conversation.update_state(local_uid, "sending")
        self._reconcile(local_uid, body, resend=True)

    # -- workers ------------------------------------------------------------------

    @work(group="send", exit_on_error=False)
    async def _send(self, local_uid: str, body: str) -> None:
        try:
            message = await self._api().send_message(self.chat_uid, body)
        except PlowError as error:
            self.post_message(self._Finished(local_uid, body, None, error))
        else:
            self.post_message(self._Finished(local_uid, body, message, None))

    @work(group="reconcile", exit_on_error=False)
    async def _reconcile(self, local_uid: str, body: str, resend: bool) -> None:
        """Find out whether a send with an unknown outcome landed; resend only if it did not.

        It landed if the newest page holds an outbound message with the same
        text, from about when it was sent, that the conversation does not
        show yet (so an earlier identical text is not mistaken for it).
        """
        try:
            page = await self._api().messages(self.chat_uid, limit=CHECK_PAGE_SIZE)
        except PlowError as error:
            self.post_message(self._CheckFailed(local_uid, body, error))
            return
        conversation = self.pane.conversation
        shown = {entry.uid for entry in conversation.entries}
        local = conversation.get(local_uid)
        since = local.at - RECONCILE_WINDOW if local is not None else None
        landed = next(
            (
                m
                for m in page.data
                if isinstance(m, Message)
                and m.is_outbound
                and m.body == body
                and m.uid not in shown
                and (since is None or m.created_at is None or m.created_at >= since)
            ),
            None,
        )
        if landed is not None:
            self.post_message(self._Finished(local_uid, body, landed, None))
        elif resend:
            await self._send(local_uid, body).wait()
        else:
            self.post_message(self._NotLanded(local_uid))

    # -- handlers -----------------------------------------------------------------

    @on(_Finished)
    def _finished(self, message: _Finished) -> None:
        message.stop()
        pane = self.pane
        conversation = pane.conversation
        error = message.error
        if message.message is not None:
            self._unsent.pop(message.local_uid, None)
            real = message.message
            if real.uid not in self._undelivered:  # its failed update may have come first
                pane.show_notice(None)
            entry = message_entry(real, self._clock())
            shown = conversation.get(real.uid)
            if shown is not None:
                # The echo (and maybe a delivery update) came first: keep its state.
                entry = replace(entry, state=later_state(entry.state, shown.state))
            conversation.replace(message.local_uid, entry)
            self.post_message(self.Sent(self.chat_uid, real))
        elif isinstance(error, ChatNotReady):
            conversation.remove_entry(message.local_uid)
            self._unsent.pop(message.local_uid, None)
            compose = pane.compose_box
            compose.draft = message.body if not compose.draft else f"{message.body}\n{compose.draft}"
            pane.show_notice("Not sent: this chat is waiting for its members to verify. Your text is back in the editor.")
        elif isinstance(error, DeliveryUnknown):
            conversation.update_state(message.local_uid, "unknown")
            self._unsent[message.local_uid] = message.body
            pane.show_notice("Not sure it was sent (?): checking with the server…")
            self._reconcile(message.local_uid, message.body, resend=False)
        elif error is not None:
            conversation.update_state(message.local_uid, "failed")
            self._unsent[message.local_uid] = message.body
            if isinstance(error, NotSignedIn):
                self.post_message(self.SignInRefused(error))
            else:
                pane.show_notice(f"Not sent (✗): {error} Select it and press r to send it again.")

    @on(_NotLanded)
    def _not_landed(self, message: _NotLanded) -> None:
        message.stop()
        if message.local_uid not in self._unsent:
            return  # retried meanwhile
        self.pane.conversation.update_state(message.local_uid, "failed")
        self.pane.show_notice("It did not reach the server (✗). Select it and press r to send it again.")

    @on(_CheckFailed)
    def _check_failed(self, message: _CheckFailed) -> None:
        message.stop()
        if isinstance(message.error, NotSignedIn):
            self.post_message(self.SignInRefused(message.error))
        # Not resent: without the history, a resend could make a duplicate.
        self._unsent[message.local_uid] = message.body
        self.pane.conversation.update_state(message.local_uid, "unknown")
        self.pane.show_notice(f"Could not check whether it was sent: {message.error} Press r to try again.")
