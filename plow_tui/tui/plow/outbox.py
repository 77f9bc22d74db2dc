"""`Outbox`: one chat's sending, from "sending…" to the real message, and every way it can fail.

Each `ChatPane` has one: Plow's `Sending` (`tui/widgets/chat_panel.py`), an
invisible child that owns the send workers, so a chat's texts, retries and
notices stay with that chat. It posts what becomes of each text; the pane
shows it. The rules:

- A text shows at once as a "sending" placeholder; it becomes the real
  message when the POST answers, and if the socket's echo came first the
  placeholder simply goes (one message, never two).
- 409 `chat_not_ready`: the placeholder goes and the text returns to the
  editor, with the reason.
- Delivery unknown (408/424/5xx): marked `?`; the history is checked at once,
  and a retry checks it again first, so a retry never duplicates a text that
  did land. If the check itself fails, nothing is resent.
- Any other failure: marked `✗`; the text stays, and `r` sends it again.
- A chat's texts go out one at a time, in the order they were sent: the
  parts of a long text (or two texts typed quickly) must reach the phone in
  that order, and concurrent POSTs may be answered, and dated, in any order.
- Accepted, then reported `failed` by the server (delivery failed): the `✗`
  stays on that message (it is the server's record); the notice says why,
  and `r` on it sends the text again as a new message.
- The server unreachable (nothing reached it: `NetworkError`): marked
  waiting (`◷`), and so is every later text of the chat, without trying:
  they go out on their own, in order, each once, when the screen says the
  server is back (`resume_waiting`: the live stream is up again), or at the
  latest after `RETRY_WAITING` seconds.
- Until it is known to be on the server, every text is in `unsent`, which
  the screen keeps in the local store with the drafts. A text from the
  editor goes out only once the store has it (`keep`: the draft leaves and
  the text enters the outbox in one transaction). After a restart the pane
  is given them back: `✗` ones as they were, waiting ones waiting; ones
  that were sending or unknown are checked against the history first, like
  a delivery unknown.

Whether a text landed is decided by `landed_as`: the history must hold an
outbound message with the same text, newer than the newest message the
chat showed when it was sent, not claimed by another of our sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message

from plow_tui.client.errors import ChatNotReady, DeliveryUnknown, NetworkError, NotSignedIn, PlowError
from plow_tui.client.models import ChatMessage
from plow_tui.record import replace
from plow_tui.store.unsent import Unsent
from plow_tui.tui.plow.views import later_state, message_entry, split_body
from plow_tui.tui.widgets.chat_panel import Sending
from plow_tui.tui.widgets.conversation import Conversation
from plow_tui.tui.widgets.view_models import Entry

if TYPE_CHECKING:
    from textual.timer import Timer

    from plow_tui.client.http import PlowClient

# Outbound messages searched when checking whether an unknown send landed.
CHECK_PAGE_SIZE = 50
# How far before a send's local time the server may date its message (clock skew).
RECONCILE_WINDOW = timedelta(minutes=5)
# Sends that may be retried with `r`: the server refused them, nobody knows, or it was unreachable.
RETRYABLE = ("failed", "unknown", "waiting")
# Seconds before waiting texts try again on their own, should nothing say the server is back first.
RETRY_WAITING = 15.0


def landed_as(text: Unsent, newest_first: Iterable[object], claimed: set[str]) -> ChatMessage | None:
    """The message `text` became on the server, if this page of history (newest first) shows it landed.

    An outbound message with the same body, newer than `text.after` (the
    newest message shown when it was sent), not dated before the send (less
    `RECONCILE_WINDOW` of clock skew), and not `claimed` by another of our
    sends: an identical earlier text is never taken for it. The oldest such
    message, since sends land in the order they were made.
    """
    since = text.at - RECONCILE_WINDOW
    found = None
    for message in newest_first:
        if not isinstance(message, ChatMessage):
            continue
        if text.after is not None and message.uid == text.after:
            break
        if (
            message.is_outbound
            and message.body == text.body
            and message.uid not in claimed
            and (message.created_at is None or message.created_at >= since)
        ):
            found = message
    return found


class Outbox(Sending):
    """Sends for one chat; posts what became of each text, and `Sent`, `SignInRefused` for the screen."""

    @dataclass
    class Sent(Message):
        """A text is on the server as `message` (for the chat list's preview)."""

        chat_uid: str
        message: ChatMessage

    @dataclass
    class SignInRefused(Message):
        """The server refused the token while sending: the app must sign in again."""

        error: PlowError

    @dataclass
    class _Finished(Message):
        local_uid: str
        body: str
        message: ChatMessage | None
        error: PlowError | None

    @dataclass
    class _NotLanded(Message):
        local_uid: str

    @dataclass
    class _CheckFailed(Message):
        local_uid: str
        body: str
        error: PlowError

    def __init__(
        self,
        shown: Conversation,
        chat_uid: str,
        api: Callable[[], PlowClient],
        clock: Callable[[], datetime],
        restored: Sequence[Unsent] = (),
        keep: Callable[[Sequence[Unsent]], Future[object] | None] | None = None,
        changed: Callable[[Sequence[Unsent]], object] | None = None,
    ) -> None:
        super().__init__(shown)
        self.chat_uid = chat_uid
        # Called with `unsent` whenever it changes: the screen saves it (with the
        # drafts) and redraws the chat's row. A call, not a message: a message
        # posted while the panel handles Enter would stop at the panel (Textual
        # ends a message's bubbling at the widget that was handling when it was made).
        self._changed = changed
        # Called with the texts that left the editor, before they go out: the
        # screen queues the store's write and hands back its future, which the
        # send waits for (see `submit`).
        self._keep = keep
        self._kept: dict[str, Future[object]] = {}  # local uid -> the store write its POST waits for
        # Set when the server could not be reached: later texts wait too (order), until `resume_waiting`.
        self._held = False
        self._retry_timer: Timer | None = None
        self._api = api
        self._clock = clock
        # local uid -> every text not known to be on the server, in the order sent.
        self._unsent: dict[str, Unsent] = {text.uid: text for text in restored}
        self._restored = [text.uid for text in restored]  # not shown until the chat's first page is
        self._claimed: set[str] = set()  # server uids our sends became (see `landed_as`)
        self._undelivered: dict[str, str] = {}  # server uid -> body, of texts the server could not deliver
        # Send workers start in the order texts were sent; this FIFO lock keeps their POSTs in that order.
        self._in_order = asyncio.Lock()

    # -- what the screen calls ------------------------------------------------------

    @property
    def unsent(self) -> tuple[Unsent, ...]:
        """Every text not known to be on the server (sending, unknown or refused), oldest first."""
        return tuple(self._unsent.values())

    def send(self, text: str) -> int:
        """Send `text` (in parts of at most 4,000 characters); returns the number of parts.

        The parts are in `unsent` when this returns, before any goes out (the
        send workers start when this handler gives the event loop back).
        """
        return self._send_parts(text, keep=False)

    def submit(self, text: str) -> int:
        """Send a text from the editor: kept on disk (`keep`) before it goes out, so a kill at any moment keeps it."""
        return self._send_parts(text, keep=True)

    def _send_parts(self, text: str, *, keep: bool) -> int:
        parts = split_body(text)
        now = self._clock()
        after = self._newest_on_server()
        # Behind texts that wait for the server, a text waits too: they go out in order.
        state = "waiting" if self._held or any(t.state == "waiting" for t in self._unsent.values()) else "sending"
        queued = []
        for body in parts:
            local_uid = f"local-{uuid.uuid4().hex[:16]}"  # unique across restarts too
            self._unsent[local_uid] = Unsent(local_uid, body, now, state, after)
            queued.append(self._unsent[local_uid])
        if keep and self._keep is not None:
            # Now, in this turn of the event loop: queued before any send worker can run.
            kept = self._keep(queued)
            if kept is not None:
                self._kept.update((text.uid, kept) for text in queued)
        for text in queued:
            self.post_message(self.Placed([Entry(text.uid, "you", text.body, now, True, state)]))
            if state == "sending":
                self._send(text.uid, text.body)
        if state == "waiting":
            self.post_message(self.Noticed(_WAITING))
        self._unsent_changed()
        return len(parts)

    def resume_waiting(self) -> None:
        """The server is back (or may be): send the waiting texts, oldest first, each once."""
        self._held = False
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        waiting = [t for t in self._unsent.values() if t.state == "waiting" and t.uid not in self._restored]
        if not waiting:
            return
        self.post_message(self.Noticed(None))
        for text in waiting:
            self._set_state(text.uid, "sending")
            self._send(text.uid, text.body)

    @property
    def waiting(self) -> int:
        """How many texts wait for the server."""
        return sum(1 for t in self._unsent.values() if t.state == "waiting")

    def show_restored(self) -> None:
        """Show the texts given back after a restart, below the chat's first page.

        Refused ones are `✗`, as they were. The others were sending or unknown
        when the app stopped, so they may have landed: shown `?` and checked
        against the history, never sent again without that.
        """
        restored, self._restored = self._restored, []
        texts = [self._unsent[uid] for uid in restored if uid in self._unsent]
        if not texts:
            return
        self.post_message(
            self.Placed([Entry(t.uid, "you", t.body, t.at, True, t.state if t.state in ("failed", "waiting") else "unknown") for t in texts])
        )
        for text in texts:
            if text.state not in ("failed", "waiting"):  # a waiting one never went out: nothing to check
                self._set_state(text.uid, "unknown")
                self._reconcile(text.uid, text.body, resend=False)
        if any(t.state == "waiting" for t in texts):
            self.post_message(self.Noticed(_WAITING))
            if self._retry_timer is None:  # unless the screen says the server is back sooner
                self._retry_timer = self.set_timer(RETRY_WAITING, self._retry_waiting)
        if any(t.state == "failed" for t in texts):
            self.post_message(self.Noticed("Not sent before the app closed (✗). Select it and press r to send it again."))

    @property
    def selected_unsent(self) -> str | None:
        """The selected message, if it is one that may be retried."""
        uid = self.shown.selected_uid
        if uid in self._undelivered:
            return uid
        text = self._unsent.get(uid or "")
        return uid if text is not None and text.state in RETRYABLE else None

    def delivery_failed(self, uid: str, body: str, reason: str | None) -> None:
        """The server could not deliver message `uid`: say why, and let `r` send it again."""
        if uid in self._undelivered and reason is None:
            return  # already said
        self._undelivered[uid] = body
        why = reason or "the server gave no reason"
        self.post_message(self.Noticed(f"Not delivered (✗): {why}. Select it and press r to send it again."))

    def retry_selected(self) -> None:
        """Send the selected failed or unknown text again, after checking it did not land."""
        local_uid = self.selected_unsent
        if local_uid is None:
            return
        if local_uid in self._undelivered:
            # The server has it, marked failed: a new message, not a retry of the same one.
            self.post_message(self.Noticed(None))
            self.send(self._undelivered.pop(local_uid))
            return
        if self._unsent[local_uid].state == "waiting":
            self.resume_waiting()  # all of them, in order: this one cannot jump the queue
            return
        self._set_state(local_uid, "sending")
        self._reconcile(local_uid, self._unsent[local_uid].body, resend=True)

    def _set_state(self, local_uid: str, state: str) -> None:
        """Record and show a text's state."""
        text = self._unsent.get(local_uid)
        if text is not None and text.state != state:
            self._unsent[local_uid] = replace(text, state=state)
            self._unsent_changed()
        self.post_message(self.StateChanged(local_uid, state))

    def _unsent_changed(self) -> None:
        if self._changed is not None:
            self._changed(self.unsent)

    def _forget(self, local_uid: str) -> None:
        """The text is on the server, or back in the editor: no longer ours to keep."""
        if self._unsent.pop(local_uid, None) is not None:
            self._unsent_changed()

    def _newest_on_server(self) -> str | None:
        """The uid of the newest message shown that is not one of our unsent texts."""
        for entry in reversed(self.shown.entries):
            if entry.uid not in self._unsent:
                return entry.uid
        return None

    # -- workers ------------------------------------------------------------------

    @work(group="send", exit_on_error=False)
    async def _send(self, local_uid: str, body: str) -> None:
        kept = self._kept.pop(local_uid, None)
        if kept is not None:
            # The store has it (out of the draft, into the outbox) before the server can.
            # A failed write is logged by the store's writer; the text still goes.
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(kept)
        try:
            async with self._in_order:
                if self._held:  # an earlier text found the server unreachable: keep the order
                    raise NetworkError("Waiting for an earlier text.")
                try:
                    message = await self._api().send_message(self.chat_uid, body)
                except NetworkError:
                    self._held = True  # at once, before the next worker takes the lock
                    raise
        except PlowError as error:
            self.post_message(self._Finished(local_uid, body, None, error))
        else:
            self.post_message(self._Finished(local_uid, body, message, None))

    @work(group="reconcile", exit_on_error=False)
    async def _reconcile(self, local_uid: str, body: str, resend: bool) -> None:
        """Find out whether a send with an unknown outcome landed; resend only if it did not (`landed_as`)."""
        try:
            page = await self._api().messages(self.chat_uid, limit=CHECK_PAGE_SIZE)
        except PlowError as error:
            self.post_message(self._CheckFailed(local_uid, body, error))
            return
        text = self._unsent.get(local_uid)
        if text is None:
            return  # another check found it on the server meanwhile
        landed = landed_as(text, page.data, self._claimed)
        if landed is not None:
            self._claimed.add(landed.uid)  # before any await: two checks never take the same message
            self.post_message(self._Finished(local_uid, body, landed, None))
        elif resend:
            await self._send(local_uid, body).wait()
        else:
            self.post_message(self._NotLanded(local_uid))

    # -- handlers -----------------------------------------------------------------

    @on(_Finished)
    def _finished(self, message: _Finished) -> None:
        message.stop()
        error = message.error
        if message.message is not None:
            real = message.message
            self._claimed.add(real.uid)
            self._forget(message.local_uid)
            if real.uid not in self._undelivered:  # its failed update may have come first
                self.post_message(self.Noticed(None))
            # If the echo (and maybe a delivery update) came first, its state is kept.
            self.post_message(self.Landed(message.local_uid, message_entry(real, self._clock()), merge=later_state))
            self.post_message(self.Sent(self.chat_uid, real))
        elif isinstance(error, ChatNotReady):
            self._forget(message.local_uid)
            self.post_message(
                self.Withdrawn(
                    message.local_uid,
                    message.body,
                    "Not sent: this chat is waiting for its members to verify. Your text is back in the editor.",
                )
            )
        elif isinstance(error, NetworkError):
            # Nothing reached the server: safe to send again, and it will be, on its own.
            self._set_state(message.local_uid, "waiting")
            self.post_message(self.Noticed(_WAITING))
            if self._retry_timer is None:
                self._retry_timer = self.set_timer(RETRY_WAITING, self._retry_waiting)
        elif isinstance(error, DeliveryUnknown):
            self._set_state(message.local_uid, "unknown")
            self.post_message(self.Noticed("Not sure it was sent (?): checking with the server…"))
            self._reconcile(message.local_uid, message.body, resend=False)
        elif error is not None:
            self._set_state(message.local_uid, "failed")
            if isinstance(error, NotSignedIn):
                self.post_message(self.SignInRefused(error))
            else:
                self.post_message(self.Noticed(f"Not sent (✗): {error} Select it and press r to send it again."))

    def _retry_waiting(self) -> None:
        self._retry_timer = None
        if self._held or self.waiting:
            self.resume_waiting()

    @on(_NotLanded)
    def _not_landed(self, message: _NotLanded) -> None:
        message.stop()
        text = self._unsent.get(message.local_uid)
        if text is None or text.state != "unknown":
            return  # retried meanwhile
        self._set_state(message.local_uid, "failed")
        self.post_message(self.Noticed("It did not reach the server (✗). Select it and press r to send it again."))

    @on(_CheckFailed)
    def _check_failed(self, message: _CheckFailed) -> None:
        message.stop()
        if isinstance(message.error, NotSignedIn):
            self.post_message(self.SignInRefused(message.error))
        # Not resent: without the history, a resend could make a duplicate.
        self._set_state(message.local_uid, "unknown")
        self.post_message(self.Noticed(f"Could not check whether it was sent: {message.error} Press r to try again."))


_WAITING = "Waiting to send (◷): the server cannot be reached. Your texts go out, in order, when it is back."
