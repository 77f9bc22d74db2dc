"""`StoreWriter`: a HistoryStore's calls run in order on one background thread.

The app must never wait on the disk while messages pour in, and a page read
must see every write queued before it (a chat opened right after a burst
shows the burst). One thread, first in first out, gives both: `submit` for
writes the caller does not wait for, `call` (awaitable) for reads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from plow_tui.store.history import HistoryStore

log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreWriter:
    """The one writer of a `HistoryStore`; `close()` finishes what is queued, then closes the file."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plow-store")
        self._closed = False

    def submit(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any] | None:
        """Queue `method(*args)` (a bound method of the store); failures are logged, never raised.

        The future is for a caller that must know the write is done before it
        goes on (a send waits for its text to be in the outbox); None once closed.
        """
        if self._closed:
            return None
        future = self._pool.submit(method, *args, **kwargs)
        future.add_done_callback(_log_failure)
        return future

    async def call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `method(*args)` after every write queued before it, and return its answer."""
        return await asyncio.wrap_future(self._pool.submit(method, *args, **kwargs))

    def flush(self) -> None:
        """Block until every queued call has run (tests, and before reading from another connection)."""
        if not self._closed:
            self._pool.submit(lambda: None).result()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pool.shutdown(wait=True)
        self.store.close()


def _log_failure(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        # A full disk or a damaged file must not stop the chat: the server still has it all.
        log.warning("could not write to the local store (%s: %s)", type(error).__name__, error)
