"""`StoreWriter`: a HistoryStore's calls run in order on one background thread.

The app must never wait on the disk while messages pour in, and a page read
must see every write queued before it (a chat opened right after a burst
shows the burst). One thread, first in first out, gives both: `submit` for
writes the caller does not wait for, `call` (awaitable) for reads.

Messages arriving live are gathered for a moment first (`add_messages`): the
writer thread takes Python's GIL back from the UI thread every time SQLite
lets go of it (each statement, each transaction), and each time forces a
switch away from whatever the UI thread is doing, such as painting a key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from plow_tui.client.models import ChatMessage
from plow_tui.store.history import HistoryStore

log = logging.getLogger(__name__)
T = TypeVar("T")

# Live messages arriving within this long are stored in one transaction (see `StoreWriter.add_messages`).
GATHER_S = 0.25


class StoreWriter:
    """The one writer of a `HistoryStore`; `close()` finishes what is queued, then closes the file."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plow-store")
        self._closed = False
        self._gathered: list[ChatMessage] = []
        self._gathering: asyncio.TimerHandle | None = None

    def add_messages(self, messages: Iterable[ChatMessage]) -> None:
        """Store live messages with those that arrive in the next GATHER_S, in one transaction.

        Called on the event loop's thread (elsewhere they are queued at once).
        Anything queued or asked for meanwhile is queued after them, so the
        order of writes and reads is the order they were asked in.
        """
        if self._closed:
            return
        self._gathered.extend(messages)
        if self._gathering is None:
            try:
                self._gathering = asyncio.get_running_loop().call_later(GATHER_S, self._queue_gathered)
            except RuntimeError:  # no event loop here
                self._queue_gathered()

    def _queue_gathered(self) -> None:
        if self._gathering is not None:
            self._gathering.cancel()
            self._gathering = None
        if self._gathered:
            gathered, self._gathered = self._gathered, []
            self._pool.submit(self.store.add_messages, gathered).add_done_callback(_log_failure)

    def submit(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any] | None:
        """Queue `method(*args)` (a bound method of the store); failures are logged, never raised.

        The future is for a caller that must know the write is done before it
        goes on (a send waits for its text to be in the outbox); None once closed.
        """
        if self._closed:
            return None
        self._queue_gathered()
        future = self._pool.submit(method, *args, **kwargs)
        future.add_done_callback(_log_failure)
        return future

    async def call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `method(*args)` after every write queued before it, and return its answer."""
        self._queue_gathered()
        return await asyncio.wrap_future(self._pool.submit(method, *args, **kwargs))

    def flush(self) -> None:
        """Block until every queued call has run (tests, and before reading from another connection)."""
        if not self._closed:
            self._queue_gathered()
            self._pool.submit(lambda: None).result()

    def close(self) -> None:
        if self._closed:
            return
        self._queue_gathered()
        self._closed = True
        self._pool.shutdown(wait=True)
        self.store.close()


def _log_failure(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        # A full disk or a damaged file must not stop the chat: the server still has it all.
        log.warning("could not write to the local store (%s: %s)", type(error).__name__, error)
