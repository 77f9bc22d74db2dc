"""`AiryConversation`: one visitor conversation, its tokens, and its merged history.

Airy hands out two tokens: an auth token (1 hour) for HTTP and the socket,
and a resume token (7 days) that brings the conversation back. Only the
resume token is kept, in the secret store under `airy:<url>#<channel>`; the
auth token lives in memory. On a 401 the conversation re-authenticates with
the resume token; when that is refused too, it starts a new conversation with
the channel id and says so with an `AiryConversationRestarted` event.

Every message passes through `ingest`, which merges by id: the answer of a
send and its echo on the socket are one message, and a history refetched
after a reconnect only adds what was missed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone

from plow_tui.client.airy.errors import AiryUnauthorized
from plow_tui.client.airy.events import (
    AiryConversationRestarted,
    AiryEvent,
    AiryMessagesArrived,
    AiryMessageUpdated,
)
from plow_tui.client.airy.http import AiryClient, Content, normalize_instance_url
from plow_tui.client.airy.models import AiryMessage
from plow_tui.client.tokens import SecretStore

log = logging.getLogger(__name__)

# A resume token is refreshed on start and then at most this often, so a
# flapping connection does not write to the keyring on every reconnect.
RESUME_TOKEN_REFRESH = 60 * 60.0
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def resume_token_key(base_url: str, channel_id: str) -> str:
    """The secret-store key of the resume token for (instance, channel)."""
    return f"airy:{normalize_instance_url(base_url)}#{channel_id.strip().lower()}"


class AiryConversation:
    """A Chat Plugin conversation with one channel, as the visitor.

    `start()` resumes the saved conversation or begins a new one; `send()`
    sends; `messages` is the merged history. Changes are queued as events
    (`next_event()`), which `AiryStream` interleaves with what the socket
    brings.
    """

    def __init__(
        self,
        client: AiryClient,
        channel_id: str,
        *,
        store: SecretStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.channel_id = channel_id.strip()
        self.conversation_id: str | None = None  # learned from the first socket push
        self._store = store
        self._clock = clock
        self._key = resume_token_key(client.base_url, self.channel_id)
        self._resume_token: str | None = None
        self._resume_fetched_at: float | None = None
        self._by_id: dict[str, tuple[int, AiryMessage]] = {}
        self._arrivals = 0
        self._events: asyncio.Queue[AiryEvent] | None = None
        self._restart_listeners: set[Callable[[], None]] = set()
        self.started = False

    def __repr__(self) -> str:
        return f"AiryConversation({self.client.base_url!r}, channel={self.channel_id!r})"

    # -- events ------------------------------------------------------------------

    @property
    def _queue(self) -> asyncio.Queue[AiryEvent]:
        if self._events is None:
            self._events = asyncio.Queue()
        return self._events

    def emit(self, event: AiryEvent) -> None:
        self._queue.put_nowait(event)

    async def next_event(self) -> AiryEvent:
        return await self._queue.get()

    def drain_events(self) -> list[AiryEvent]:
        """Take every queued event without waiting (for callers that run no stream)."""
        events = []
        while not self._queue.empty():
            events.append(self._queue.get_nowait())
        return events

    def on_restart(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` when a new conversation replaces this one; returns the remover."""
        self._restart_listeners.add(listener)
        return lambda: self._restart_listeners.discard(listener)

    # -- history -----------------------------------------------------------------

    @property
    def messages(self) -> list[AiryMessage]:
        """Every message seen, oldest first (by `sent_at`, then by arrival)."""
        ordered = sorted(self._by_id.values(), key=lambda item: (item[1].sent_at or _EPOCH, item[0]))
        return [message for _, message in ordered]

    def ingest(self, incoming: list[AiryMessage], *, backfill: bool) -> list[AiryMessage]:
        """Merge by id; queue one batch of the new ones and an update per changed state."""
        new: list[AiryMessage] = []
        for message in incoming:
            if not message.id:
                continue
            known = self._by_id.get(message.id)
            if known is None:
                self._arrivals += 1
                self._by_id[message.id] = (self._arrivals, message)
                new.append(message)
            elif message.delivery_state and message.delivery_state != known[1].delivery_state:
                self._by_id[message.id] = (known[0], message)
                self.emit(AiryMessageUpdated(message))
        if new:
            new.sort(key=lambda m: (m.sent_at or _EPOCH, self._by_id[m.id][0]))
            self.emit(AiryMessagesArrived(tuple(new), backfill=backfill))
        return new

    # -- tokens ------------------------------------------------------------------

    async def _saved_resume_token(self) -> str | None:
        if self._resume_token is None and self._store is not None:
            self._resume_token = await self._store.get_secret(self._key)
        return self._resume_token

    async def _refresh_resume_token(self, *, force: bool) -> None:
        now = self._clock()
        if not force and self._resume_fetched_at is not None and now - self._resume_fetched_at < RESUME_TOKEN_REFRESH:
            return
        token = await self.client.resume_token()
        self._resume_token, self._resume_fetched_at = token, now
        if self._store is not None:
            await self._store.save_secret(self._key, token)

    async def _forget_resume_token(self) -> None:
        self._resume_token = self._resume_fetched_at = None
        if self._store is not None:
            await self._store.forget_secret(self._key)

    async def _authenticate(self, *, refresh: bool) -> bool:
        """Resume (or begin) the conversation and merge its history; True when a new one began."""
        resume = await self._saved_resume_token()
        if resume:
            try:
                _, history = await self.client.authenticate(resume_token=resume)
            except AiryUnauthorized:
                await self._forget_resume_token()
            else:
                await self._refresh_resume_token(force=refresh)
                self.started = True
                self.ingest(history, backfill=True)
                return False
        _, history = await self.client.authenticate(channel_id=self.channel_id)
        await self._refresh_resume_token(force=True)
        restarted = resume is not None or self.started
        self.started = True
        self.conversation_id = None
        if restarted:
            self.emit(
                AiryConversationRestarted(
                    "The saved Airy conversation could not be resumed (its token was refused); "
                    "a new conversation has started."
                )
            )
            for listener in list(self._restart_listeners):
                listener()
        self.ingest(history, backfill=True)
        return restarted

    async def start(self) -> None:
        """Resume the saved conversation, or begin one. Raises `AiryError` (404: channel gone)."""
        await self._authenticate(refresh=True)

    async def reauthenticate(self) -> bool:
        """A fresh auth token and the whole history, merged; True when a new conversation began."""
        return await self._authenticate(refresh=False)

    async def forget(self) -> None:
        """Drop the saved resume token: the next start begins a new conversation."""
        await self._forget_resume_token()

    # -- sending -----------------------------------------------------------------

    async def send(self, message: str | Content) -> AiryMessage:
        """Send text or content; after a 401 re-authenticate and try once more."""
        if not self.started:
            await self.start()
        try:
            sent = await self.client.send(message)
        except AiryUnauthorized:
            await self.reauthenticate()
            sent = await self.client.send(message)
        self.ingest([sent], backfill=False)
        # The socket echo may have come first; either way the stored one is the answer.
        return self._by_id[sent.id][1]
