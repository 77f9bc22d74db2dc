"""`ChatStream`: a WebSocket subscription that heals itself (PROTOCOL §6).

The socket delivers at most once and never replays, so after every (re)connect
the stream catches up over REST from the newest message uid it has seen, and
deduplicates by message uid (and by `event_id` for the §6.2 envelope form).
The consumer therefore sees every message exactly once, oldest first, however
often the connection drops.

Delivery updates (`message_status_updated`) are at most once too, so the
stream remembers the outbound messages whose delivery is still open and, on
every reconnect, re-reads their status over REST in the same catch-up (it
walks past the anchor until it has seen each of them, within a bound), and
reports each change it finds as a `MessageStatusChanged`.

Each catch-up is capped (`CATCH_UP_MESSAGES` messages and `CATCH_UP_PAGES`
pages per chat), and ends early when the server's cursor stops advancing: a
long outage in a busy chat, or a server whose history never ends, cannot grow
memory without bound or keep the stream from going live. The stream then
delivers the newest messages it fetched, continues live from there, and says
so with a `MessagesSkipped` event. Besides the anchor uid it remembers the
time of the newest message per chat, so a catch-up whose anchor is missing
from the REST history still stops at the messages the consumer already has.

Frames that arrive while the REST catch-up runs are not lost: the stream does
not read the socket during the catch-up, so they wait in the WebSocket
library's receive buffer and are read (and deduplicated) right after it.

How it ends is the contract both live streams keep (ARCHITECTURE.md, "How a
stream ends", and `AiryStream`): only when the consumer closes it, or by
raising. A failure no retry can mend is a last `ConnectionChanged("offline")`
with no `retry_in`, then a `PlowError` raised from `events()`: `NotSignedIn`
(the token refused), `NotFound`/`Forbidden` (the chat gone or not the token's),
or, for a bug in here, a plain `PlowError` naming it (logged with its traceback).
No event carries a failure, so a consumer catches `PlowError` and nothing else,
and a command lets it reach the runner, which turns it into one sentence and
an exit code. Everything else is retried with backoff.

The ticket is a credential and the socket URL carries it: neither is ever
logged or put in an error or event. websockets' own handshake debug lines
(which include the URL) are silenced by giving it a logger capped at INFO.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from plow_tui.client.errors import Forbidden, NetworkError, NotFound, NotSignedIn, PlowError
from plow_tui.client.events import (
    ChatActivated,
    ChatFailed,
    ConnectionChanged,
    MessagesArrived,
    MessagesSkipped,
    MessageStatusChanged,
    ParticipantVerified,
    StreamEvent,
)
from plow_tui.client.models import Chat, Member, ChatMessage
from plow_tui.record import replace

if TYPE_CHECKING:
    from datetime import datetime

    from plow_tui.client.http import PlowClient

log = logging.getLogger(__name__)
# Handed to websockets: its DEBUG handshake lines contain the ticketed URL.
_ws_log = logging.getLogger("plow_tui.client.stream.websocket")
_ws_log.setLevel(logging.INFO)

CLOSE_UNAUTHORIZED = 4401
# Pass as `last_uid` (or a `last_uids` value) when the caller knows the chat
# had no messages: the first connection then backfills everything.
NO_MESSAGES = ""
_SEEN_LIMIT = 10_000
_MAX_QUEUE = 4096  # frames websockets may buffer while the REST catch-up runs
# Outbound messages whose delivery is still open, remembered for the status
# re-read after a reconnect; and how far below the anchor that re-read looks.
_OPEN_DELIVERY_LIMIT = 1000
_STATUS_LOOKBACK = 500
# One catch-up per chat reads at most this many messages above what the
# consumer holds (as many as the stream can deduplicate), in at most this many
# pages (100 full pages, and some slack for a server that sends short ones).
CATCH_UP_MESSAGES = _SEEN_LIMIT
CATCH_UP_PAGES = 120
# Statuses after which a message's delivery changes no more (PROTOCOL §5).
_SETTLED = frozenset({"delivered", "failed", "received"})


# A message dated further ahead than this is a wrong clock, not a floor for catch-ups.
_CLOCK_SLACK = timedelta(days=1)


class _Dropped(Exception):
    """One connection ended in a way worth retrying."""

    def __init__(self, state: str, reason: str) -> None:
        super().__init__(reason)
        self.state = state
        self.reason = reason


class _Refused(Exception):
    """The handshake was refused (403): the ticket was not accepted."""


class _SeenSet:
    """A bounded set: duplicates only come from recent overlap, so old uids can be forgotten."""

    def __init__(self, limit: int = _SEEN_LIMIT) -> None:
        self._items: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def add(self, key: str) -> None:
        self.update((key,))

    def update(self, keys: Iterable[str]) -> None:
        """`add` each of `keys`, in order (a catch-up's thousands at once)."""
        items = self._items
        for key in keys:
            if key in items:
                items.move_to_end(key)
            else:
                items[key] = None
        for _ in range(len(items) - self._limit):
            items.popitem(last=False)


@dataclass
class _CaughtUp:
    """What one chat's catch-up found (`ChatStream._catch_up`)."""

    fresh: list[ChatMessage] = field(default_factory=list)  # new above the anchor, newest first
    older: list[ChatMessage] = field(default_factory=list)  # delivered already: only their status may be news
    newest_uid: str | None = None  # the newest message above the anchor (the next anchor)
    oldest_uid: str | None = None  # the oldest one kept (where a cut catch-up's gap is)
    cut: bool = False



def backoff_delay(attempt: int, initial: float = 1.0, maximum: float = 30.0, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (from 0): doubling up to `maximum`.

    Jitter of ±25% spreads out clients that all dropped at once. The stream's
    reconnects use it, and so does whatever else retries the same server.
    """
    base = min(maximum, initial * (2**attempt))
    return min(maximum, base * (0.75 + (rng or random).random() / 2))


class ChatStream:
    """Live events for one chat (`chat_uid`) or every chat of the token (`chat_uid=None`).

    `last_uid` (one chat) or `last_uids` (every chat) is the newest message the
    caller already holds: the first connection backfills from there, closing
    the gap between loading history and subscribing. `NO_MESSAGES` says the
    chat had none (backfill from its first). None means unknown: the stream
    then starts from "now", as of its first connection. In the all-chats form,
    pass every chat the caller shows in `last_uids` so messages to those chats
    during a disconnect are backfilled too; chats first seen on the socket are
    tracked automatically.

    Iterate `events()` (preferably inside `contextlib.aclosing`). It ends only
    by raising, after a last `offline` with no `retry_in`: `NotSignedIn` when
    the token is refused (close 4401, handshake 403 twice in a row, 401 on the
    ticket), `NotFound`/`Forbidden` when the chat is gone or not the token's,
    a plain `PlowError` for a bug. Everything else is retried with backoff.
    """

    def __init__(
        self,
        client: PlowClient,
        chat_uid: str | None,
        *,
        last_uid: str | None = None,
        last_uids: Mapping[str, str | None] | None = None,
        connect: Callable[..., Awaitable[Any]] | None = None,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        ping_interval: float | None = 30.0,
        open_timeout: float = 10.0,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        page_size: int = 100,
        catch_up_messages: int = CATCH_UP_MESSAGES,
        catch_up_pages: int = CATCH_UP_PAGES,
        on_catch_up: Callable[[], object] | None = None,
        on_catch_up_page: Callable[[Sequence[ChatMessage]], object] | None = None,
    ) -> None:
        self._client = client
        # Called as each catch-up starts (connected, before its first request): a consumer
        # about to receive a batch may prepare for it (the app holds its cyclic GC).
        self._on_catch_up = on_catch_up
        # Called with each page's new messages (newest first) as a catch-up sorts them out,
        # while the walk waits for the server's next page: a consumer may prepare what it
        # will make of them (the app builds the conversation's entries). Not a delivery:
        # they come, or not, in the batch at the end (a catch-up that fails delivers nothing).
        self._on_catch_up_page = on_catch_up_page
        self._catch_up_messages = catch_up_messages  # the caps of one catch-up (tests make them small)
        self._catch_up_pages = catch_up_pages
        self.chat_uid = chat_uid or None
        self._connect = connect
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._ping_interval = ping_interval
        self._open_timeout = open_timeout
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._retry_early = asyncio.Event()  # set by `retry_now` to end a backoff's wait
        self._page_size = page_size
        self._seen_messages = _SeenSet()
        self._seen_events = _SeenSet()
        # message uid -> (chat uid, status last reported) for outbound messages not yet settled.
        self._open_deliveries: OrderedDict[str, tuple[str, str | None]] = OrderedDict()
        # chat uid -> newest message uid held (None: the chat had no messages yet).
        self._anchors: dict[str, str | None] = {}
        # chat uid -> time of the newest message held: where a catch-up stops
        # even when the anchor uid is missing from the REST history.
        self._floors: dict[str, datetime] = {}
        # Chats whose newest uid must be looked up once connected ("start from now").
        self._unresolved: set[str] = set()
        seeds = dict(last_uids or {})
        if self.chat_uid is not None:
            seeds = {self.chat_uid: last_uid if last_uid is not None else seeds.get(self.chat_uid)}
        for uid, newest in seeds.items():
            if newest is None:
                self._unresolved.add(uid)
            else:
                self._anchors[uid] = newest or None  # NO_MESSAGES: backfill from the first

    def mark_seen(self, message: str | ChatMessage) -> None:
        """Do not deliver this message (a uid, or a `Message` the caller already shows).

        Given a `ChatMessage`, a catch-up also stops at messages older than it,
        even when the anchor uid is missing from the server's history.
        """
        if isinstance(message, str):
            self._seen_messages.add(message)
            return
        self._seen_messages.add(message.uid)
        self._raise_floor(message.chat_uid or self.chat_uid, (message,))

    def _raise_floor(self, chat_uid: str | None, messages: Iterable[ChatMessage]) -> None:
        """Raise the chat's time floor to the newest of `messages`, never to a time far ahead of the clock.

        The clock is read once, and only when a message is above the floor (most
        of a catch-up's are not): a catch-up hands thousands at once.
        """
        if chat_uid is None:
            return
        floor = self._floors.get(chat_uid)
        times = [m.created_at for m in messages if m.created_at is not None and (floor is None or m.created_at > floor)]
        if not times:
            return
        latest = datetime.now(timezone.utc) + _CLOCK_SLACK  # a clock far ahead must not hide every later catch-up
        newest = max((when for when in times if when <= latest), default=None)
        if newest is not None:
            self._floors[chat_uid] = newest

    @property
    def last_uids(self) -> dict[str, str | None]:
        """The newest message uid delivered (or given) per chat."""
        return dict(self._anchors)

    # -- the reconnect loop ---------------------------------------------------

    def _delay(self, attempt: int) -> float:
        return backoff_delay(attempt, self._backoff_initial, self._backoff_max, self._rng)

    async def events(self) -> AsyncIterator[StreamEvent]:
        """Connect, catch up, relay; on any drop reconnect with backoff and catch up again."""
        attempt = 0
        refusals = 0
        while True:
            yield ConnectionChanged("connecting")
            try:
                async with aclosing(self._session()) as session:
                    async for event in session:
                        if isinstance(event, ConnectionChanged) and event.state == "live":
                            attempt = refusals = 0
                        yield event
                state, reason = "reconnecting", "connection closed"
            except _Refused:
                refusals += 1
                if refusals >= 2:
                    # A fresh ticket refused twice: the token itself is no good.
                    yield ConnectionChanged("offline", None, "not signed in")
                    raise NotSignedIn("The server refused the live connection: sign in again.", status=403) from None
                state, reason = "reconnecting", "ticket refused"
            except NotSignedIn:
                yield ConnectionChanged("offline", None, "not signed in")
                raise
            except _Dropped as dropped:
                state, reason = dropped.state, dropped.reason
            except PlowError as error:  # NotFound, Forbidden: the chat is gone or not the token's
                yield ConnectionChanged("offline", None, error.message)
                raise
            except Exception as error:
                # A bug must not end the stream another way: said and raised as the others are.
                log.exception("the live stream stopped")
                stopped = PlowError(f"The live connection stopped: {type(error).__name__}.")
                yield ConnectionChanged("offline", None, stopped.message)
                raise stopped from None
            delay = self._delay(attempt)
            attempt += 1
            yield ConnectionChanged(state, delay, reason)  # type: ignore[arg-type]
            await self._wait_to_retry(delay)

    def retry_now(self) -> None:
        """End the wait before the next connection attempt, if the stream is waiting.

        For when the server is known to be back (another request to it got an
        answer) or the person asked to try again: the backoff can be up to 30 s.
        Said while connecting, it is ignored: that attempt is already the retry.
        """
        self._retry_early.set()

    async def _wait_to_retry(self, delay: float) -> None:
        self._retry_early.clear()
        backoff = asyncio.ensure_future(self._sleep(delay))
        woken = asyncio.ensure_future(self._retry_early.wait())
        try:
            await asyncio.wait((backoff, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            backoff.cancel()
            woken.cancel()

    # -- one connection ---------------------------------------------------------

    async def _open(self) -> Any:
        try:
            ticket = await self._client.ws_ticket(self.chat_uid)
        except (NotSignedIn, NotFound, Forbidden):
            raise
        except NetworkError:
            raise _Dropped("offline", "server unreachable") from None
        except PlowError as error:
            raise _Dropped("offline", error.message) from None
        url = self._client.ws_url(ticket)
        connect = self._connect
        if connect is None:
            from plow_tui.client.websocket import connect_same_origin as connect
        from websockets.exceptions import InvalidStatus, WebSocketException

        from plow_tui.client.websocket import CrossOriginRedirect

        try:
            return await connect(
                url,
                ping_interval=self._ping_interval,
                ping_timeout=self._ping_interval,
                open_timeout=self._open_timeout,
                max_queue=_MAX_QUEUE,
                logger=_ws_log,
                user_agent_header=self._user_agent(),
            )
        except InvalidStatus as error:
            status = error.response.status_code
            if status in (401, 403):
                raise _Refused() from None
            raise _Dropped("offline", f"the server answered {status}") from None
        except CrossOriginRedirect as error:
            raise _Dropped("offline", str(error)) from None
        except (OSError, TimeoutError, EOFError, WebSocketException) as error:
            # WebSocketException: also a handshake cut short (ConnectionClosedError).
            # Not `str(error)`: some of these messages quote the URL.
            raise _Dropped("offline", f"could not connect ({type(error).__name__})") from None

    async def check_connection(self) -> str | None:
        """Open one connection and wait for `connected`, then close it: None if it came, else why not.

        `plow-tui doctor` checks the socket with this, so the check takes the
        same ticket, handshake, origin rule and timeouts as the live stream.
        A refused ticket request raises as in `events()`.
        """
        from websockets.exceptions import WebSocketException

        try:
            ws = await self._open()
        except _Refused:
            return "handshake refused"
        except _Dropped as dropped:
            return dropped.reason
        try:
            # `asyncio.timeout`, not `wait_for`: Python 3.11's `wait_for` loses a
            # cancel (Ctrl+C) that lands as the frame arrives (see tokens.run_blocking).
            async with asyncio.timeout(self._open_timeout):
                await self._await_connected(ws)
        except TimeoutError:
            return "no `connected` frame"
        except (OSError, EOFError, WebSocketException) as error:
            return f"closed before `connected` ({type(error).__name__})"
        finally:
            await ws.close()
        return None

    @staticmethod
    def _user_agent() -> str:
        from plow_tui.client.http import USER_AGENT

        return USER_AGENT

    async def _session(self) -> AsyncIterator[StreamEvent]:
        """One connection: open, wait for `connected`, catch up, relay frames until it drops."""
        from websockets.exceptions import ConnectionClosed

        ws = await self._open()
        try:
            try:
                async with asyncio.timeout(self._open_timeout):  # not `wait_for`: see `check_connection`
                    await self._await_connected(ws)
                if self._on_catch_up is not None:
                    self._on_catch_up()
                await self._resolve_anchors()
                backlog, changed, skipped = await self._backfill()
                for chat_uid, oldest_kept in skipped:
                    yield MessagesSkipped(chat_uid, oldest_kept)
                if backlog:
                    arrived = MessagesArrived(tuple(backlog), backfill=True)
                    # Not kept for the rest of the connection: once the consumer has it, a
                    # catch-up's thousands of messages are its to keep or let go.
                    del backlog
                    yield arrived
                    del arrived
                for message in changed:
                    yield MessageStatusChanged(message)
                yield ConnectionChanged("live")
                async for raw in ws:
                    for event in self._handle_frame(raw):
                        yield event
                code = _close_code(ws)
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd is not None else _close_code(ws)
            except TimeoutError:
                raise _Dropped("reconnecting", "no `connected` frame") from None
            if code == CLOSE_UNAUTHORIZED:
                raise NotSignedIn("The server closed the live connection: sign in again.", status=CLOSE_UNAUTHORIZED)
            raise _Dropped("reconnecting", "connection lost")
        finally:
            await ws.close()

    async def _await_connected(self, ws: Any) -> None:
        while True:
            raw = await ws.recv()
            frame = _decode(raw)
            if frame is not None and frame.get("type") == "connected":
                return
            log.info("skipping a frame received before `connected`")

    # -- REST catch-up ------------------------------------------------------------

    async def _resolve_anchors(self) -> None:
        """Look up the newest uid of chats followed "from now" (after `connected`, so no gap)."""
        for chat_uid in sorted(self._unresolved):
            try:
                page = await self._client.messages(chat_uid, limit=1)
            except (NotSignedIn, NotFound, Forbidden):
                if self.chat_uid is not None:
                    raise
                self._forget_chat(chat_uid)
                continue
            except PlowError as error:
                raise _Dropped("reconnecting", f"catch-up failed: {error.message}") from None
            self._anchors[chat_uid] = page.data[0].uid if page.data else None
            self._seen_messages.update(message.uid for message in page.data)
            self._raise_floor(chat_uid, page.data)
            self._unresolved.discard(chat_uid)

    async def _backfill(self) -> tuple[list[ChatMessage], list[ChatMessage], list[tuple[str, str | None]]]:
        """Messages newer than each anchor (oldest first, minus those already delivered),
        the open deliveries whose status changed while the socket was down, and
        the chats whose catch-up was cut short (with the oldest message kept).

        Nothing is remembered until every chat's catch-up has been read: one that
        fails half-way (the stream reconnects and catches up again) must not have
        marked as delivered messages it never delivered.
        """
        caught: list[tuple[str, _CaughtUp]] = []
        for chat_uid in list(self._anchors):
            try:
                caught.append((chat_uid, await self._catch_up(chat_uid)))
            except NotSignedIn:
                raise
            except (NotFound, Forbidden):
                if self.chat_uid is not None:
                    raise
                self._forget_chat(chat_uid)
                continue
            except PlowError as error:
                raise _Dropped("reconnecting", f"catch-up failed: {error.message}") from None
        backlog: list[ChatMessage] = []
        changed: list[ChatMessage] = []
        skipped: list[tuple[str, str | None]] = []
        chats_with_news = 0
        for chat_uid, found in caught:
            fresh = found.fresh
            fresh.reverse()  # oldest first
            self._seen_messages.update(message.uid for message in fresh)
            for message in fresh:
                if message.direction == "outbound":
                    self._track_delivery(message)
            self._raise_floor(chat_uid, fresh)
            if fresh:
                chats_with_news += 1
                backlog.extend(fresh)
            for message in found.older:
                if self._status_changed(message):
                    changed.append(message if message.chat_uid else replace(message, chat_uid=chat_uid))
            if found.newest_uid is not None:
                self._anchors[chat_uid] = found.newest_uid
            if found.cut:
                log.warning("a catch-up was cut short; continuing from the newest messages")
                skipped.append((chat_uid, found.oldest_uid))
        if chats_with_news > 1:
            backlog.sort(key=lambda m: (m.created_at is None, m.created_at or 0))
        return backlog, changed, skipped

    async def _catch_up(self, chat_uid: str) -> _CaughtUp:
        """What the history holds above this chat's anchor, and the open deliveries found below it.

        Walks the history down to the anchor (or to a message older than the
        newest held), and further down (at most `_STATUS_LOOKBACK` messages)
        while an open delivery of this chat has not been seen yet. It is cut
        short, with the newest messages kept, after `CATCH_UP_MESSAGES`
        messages or `CATCH_UP_PAGES` pages, or when the server's cursor stops
        advancing, before reaching the anchor.

        Each message is sorted out as it comes (while the walk's next page is
        on its way): new, or delivered already (then only its status may be
        news). It only reads what the stream remembers; `_backfill` records it.
        """
        from plow_tui.client.http import HistoryWalk

        anchor = self._anchors[chat_uid]
        floor = self._floors.get(chat_uid)
        seen = self._seen_messages
        waiting = {uid for uid, (chat, _) in self._open_deliveries.items() if chat == chat_uid}
        found = _CaughtUp()
        above_anchor = 0
        below_anchor = 0
        walk = HistoryWalk()
        # With no delivery to re-read below it, the walk itself stops at the anchor: it then
        # reads no page ahead past the one holding it (a request the catch-up would drop).
        history = self._client.history(
            chat_uid,
            until_uid=anchor if not waiting else None,
            page_size=self._page_size,
            max_pages=self._catch_up_pages,
            walk=walk,
        )
        told = (0, 0)  # (pages, new messages) when `on_catch_up_page` was last called
        async with aclosing(history) as messages:
            async for message in messages:
                if walk.pages != told[0] and self._on_catch_up_page is not None:
                    # A page's first message: the page before it is sorted out, and the next one's
                    # request is out (`history` reads ahead), so this runs while the server works.
                    if len(found.fresh) > told[1]:
                        self._on_catch_up_page(found.fresh[told[1] :])
                    told = (walk.pages, len(found.fresh))
                uid = message.uid
                if (
                    below_anchor
                    or (anchor is not None and uid == anchor)
                    or (floor is not None and message.created_at is not None and message.created_at < floor)
                ):
                    below_anchor += 1
                    if uid in waiting:
                        found.older.append(message)
                elif above_anchor >= self._catch_up_messages:
                    found.cut = True
                    break
                else:
                    above_anchor += 1
                    if uid:
                        if message.chat_uid is None:
                            message = replace(message, chat_uid=chat_uid)
                        if found.newest_uid is None:
                            found.newest_uid = uid
                        found.oldest_uid = uid
                        (found.older if uid in seen else found.fresh).append(message)
                waiting.discard(uid)
                if below_anchor and (not waiting or below_anchor > _STATUS_LOOKBACK):
                    break
        found.cut = found.cut or (walk.cut and not below_anchor)
        return found

    def _track_delivery(self, message: ChatMessage) -> None:
        """Remember an outbound message until its delivery settles."""
        if not message.is_outbound or message.chat_uid is None:
            return
        if message.status in _SETTLED:
            self._open_deliveries.pop(message.uid, None)
            return
        self._open_deliveries[message.uid] = (message.chat_uid, message.status)
        while len(self._open_deliveries) > _OPEN_DELIVERY_LIMIT:
            self._open_deliveries.popitem(last=False)

    def _status_changed(self, message: ChatMessage) -> bool:
        """True (and the change recorded) if `message` is an open delivery whose status moved."""
        known = self._open_deliveries.get(message.uid)
        if known is None or not message.status or message.status == known[1]:
            return False
        self._track_delivery(message if message.chat_uid else replace(message, chat_uid=known[0]))
        return True

    def _forget_chat(self, chat_uid: str) -> None:
        self._anchors.pop(chat_uid, None)
        self._unresolved.discard(chat_uid)

    # -- frames ----------------------------------------------------------------

    def _handle_frame(self, raw: Any) -> list[StreamEvent]:
        frame = _decode(raw)
        if frame is None:
            return []
        chat_uid = _text(frame.get("chat_uid")) or _text(frame.get("chat_id"))
        body = frame
        kind = _text(frame.get("type"))
        if "event_type" in frame or "event_id" in frame or isinstance(frame.get("data"), dict):
            # §6.2 envelope: {"event_id", "event_type", "chat_id", "data": {"type", ...}}
            event_id = _text(frame.get("event_id"))
            if event_id is not None:
                if event_id in self._seen_events:
                    return []
                self._seen_events.add(event_id)
            data = frame.get("data")
            body = data if isinstance(data, dict) else {}
            kind = _text(body.get("type")) or _text(frame.get("event_type"))
            chat_uid = chat_uid or _text(body.get("chat_uid")) or _text(body.get("chat_id"))
        chat_uid = chat_uid or self.chat_uid
        if kind in ("message_received", "message_status_updated"):
            message = self._message(body.get("message"), chat_uid)
            if message is None:
                return []
            if kind == "message_status_updated":
                if message.uid in self._open_deliveries:
                    self._track_delivery(message)
                return [MessageStatusChanged(message)]
            if message.uid in self._seen_messages:
                return []
            self._seen_messages.add(message.uid)
            self._track_delivery(message)
            if message.chat_uid is not None:
                self._raise_floor(message.chat_uid, (message,))
                self._anchors[message.chat_uid] = message.uid
                self._unresolved.discard(message.chat_uid)
            return [MessagesArrived((message,))]
        if kind == "participant_verified":
            participant = body.get("participant")
            if not isinstance(participant, dict):
                log.warning("skipping a participant_verified frame without a participant")
                return []
            return [ParticipantVerified(chat_uid, Member.from_json(participant))]
        if kind == "chat_active":
            chat_obj = body.get("chat")
            chat = Chat.from_json(chat_obj) if isinstance(chat_obj, dict) else Chat(uid=chat_uid or "", status="active")
            if not chat.uid and chat_uid:
                chat = replace(chat, uid=chat_uid)
            if self.chat_uid is None and chat.uid and chat.uid not in self._anchors:
                # A chat that just became active has no messages we could have missed.
                self._anchors[chat.uid] = None
            return [ChatActivated(chat)]
        if kind == "chat_activation_failed":
            return [ChatFailed(chat_uid, _text(body.get("reason")), _text(body.get("message")))]
        if kind == "connected":
            return []
        log.info("ignoring a frame of unknown type %r", (kind or "")[:40])
        return []

    def _message(self, obj: Any, chat_uid: str | None) -> ChatMessage | None:
        if not isinstance(obj, dict):
            log.warning("skipping a message frame without a message")
            return None
        message = ChatMessage.from_json(obj)
        if not message.uid:
            log.warning("skipping a message without a uid")
            return None
        if message.chat_uid is None and chat_uid is not None:
            message = replace(message, chat_uid=chat_uid)
        if self.chat_uid is not None and message.chat_uid not in (None, self.chat_uid):
            log.warning("skipping a message for another chat")
            return None
        return message


def _decode(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("skipping a frame that is not UTF-8 (%d bytes)", len(raw))
            return None
    try:
        frame = json.loads(raw)
    except (TypeError, ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        log.warning("skipping a frame that is not JSON (%d characters)", len(raw) if isinstance(raw, str) else 0)
        return None
    if not isinstance(frame, dict):
        log.warning("skipping a frame that is not a JSON object")
        return None
    return frame


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _close_code(ws: Any) -> int | None:
    code = getattr(ws, "close_code", None)
    return code if isinstance(code, int) else None
