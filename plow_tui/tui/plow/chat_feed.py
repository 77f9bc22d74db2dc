"""`ChatFeed`: the main screen's live connection, as an invisible widget that owns its workers.

It runs one all-chats `ChatStream` (a `{}` ticket, PROTOCOL §6.2), which is
what both the live server and the sandbox offer. A server that refuses that
form (400/404/422 to the ticket request) gets one stream per opened chat
instead; the list then learns of other chats' messages only on reload. The
refusal is found by asking for one ticket first; that ticket goes unused and
expires in 60 s.

A stream backfills after a drop only the chats it was told about (or has seen
traffic in), so `follow()` restarts it when chats appear, handing over the
newest uid the old stream delivered for each chat.
"""

from __future__ import annotations

import contextlib
import logging
from time import monotonic
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.message import Message
from textual.widget import Widget

from plow_tui.client.errors import NotFound, PlowError, ValidationFailed

if TYPE_CHECKING:
    # The stream's modules load when it starts, after the first frame.
    from plow_tui.client import events as ev
    from plow_tui.client.http import PlowClient
    from plow_tui.client.models import ChatMessage
    from plow_tui.client.stream import ChatStream

log = logging.getLogger(__name__)

# Arrived messages are posted to the screen at most this often (one frame at Textual's 60 per second).
GATHER_INTERVAL = 1 / 60


class ChatFeed(Widget):
    """Posts `Event` for every stream event, `Failed` when following stops, `Gone` for a deleted chat."""

    DEFAULT_CSS = "ChatFeed { display: none; }"

    # Plain classes, not dataclasses: see chats_messages.py (they load before the first frame).
    class Event(Message):
        """One event from a stream (already deduplicated by the stream)."""

        def __init__(self, event: ev.StreamEvent) -> None:
            super().__init__()
            self.event = event

    class Failed(Message):
        """The stream stopped for good (`NotSignedIn`: the token was refused)."""

        def __init__(self, error: PlowError) -> None:
            super().__init__()
            self.error = error

    class Gone(Message):
        """A chat followed on its own no longer exists."""

        def __init__(self, chat_uid: str) -> None:
            super().__init__()
            self.chat_uid = chat_uid

    class _AllChatsRefused(Message):
        pass

    def __init__(
        self, api: Callable[[], PlowClient], *, stream_options: Mapping[str, Any] | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._api = api
        # Passed to every ChatStream (tests make its catch-up caps small: PlowApp's `stream_options`).
        self._stream_options = dict(stream_options or {})
        self._stream: ChatStream | None = None  # the all-chats stream, once started
        self._relaying: set[ChatStream] = set()  # every stream being relayed (all-chats or per chat)
        self._followed: set[str] = set()  # chats the all-chats stream was told about
        self._per_chat = False  # the server refused all-chats tickets
        self._last_request: tuple[dict[str, str | None], set[str]] = ({}, set())
        self._per_chat_following: set[str] = set()
        self._gathered: list[ChatMessage] = []  # arrived messages not posted yet (see `_gather`)
        self._posted_at = 0.0  # when gathered messages were last posted

    def covers(self, chat_uids: Iterable[str]) -> bool:
        """Whether every chat in `chat_uids` is followed already (no restart needed)."""
        return set(chat_uids) <= self._followed

    def follow(self, anchors: Mapping[str, str | None], opened: Iterable[str]) -> bool:
        """Follow the chats in `anchors` (chat uid -> newest message uid held); True when the live stream (re)connects.

        An anchor of None means unknown (the stream looks it up on connect);
        `NO_MESSAGES` means the chat has none yet. `opened` are the chats
        with a pane: the only ones followed when all-chats tickets are refused.
        The anchors are merged here with what the running stream has seen since.
        """
        self._last_request = (dict(anchors), set(opened))
        if self._per_chat:
            for chat_uid in opened:
                self._follow_opened(chat_uid, anchors.get(chat_uid))
            return False
        merged = dict(anchors)
        if self._stream is not None:
            merged.update((uid, newest) for uid, newest in self._stream.last_uids.items() if uid in anchors)
        self._followed = set(anchors)
        self._follow_all(merged)
        return True

    def opened(self, chat_uid: str, anchor: str | None) -> None:
        """A chat got a pane: with all-chats tickets refused, it gets a stream of its own."""
        self._last_request[1].add(chat_uid)
        if self._per_chat:
            self._follow_opened(chat_uid, anchor)

    def _follow_opened(self, chat_uid: str, anchor: str | None) -> None:
        if chat_uid not in self._per_chat_following:
            self._per_chat_following.add(chat_uid)
            self._follow_one(chat_uid, anchor)

    def retry_now(self) -> None:
        """The server answered: every stream waiting out a backoff reconnects at once."""
        for stream in self._relaying:
            stream.retry_now()

    def forget(self, chat_uid: str) -> None:
        """`chat_uid` was removed: a later `follow` may start it again."""
        self._per_chat_following.discard(chat_uid)
        self._followed.discard(chat_uid)

    @work(exclusive=True, group="stream", exit_on_error=False)
    async def _follow_all(self, anchors: dict[str, str | None]) -> None:
        from plow_tui.client.stream import ChatStream

        api = self._api()
        try:
            await api.ws_ticket(None)
        except (ValidationFailed, NotFound) as error:
            log.info("all-chats tickets refused (%s): following open chats one by one", error.status)
            self.post_message(self._AllChatsRefused())
            return
        except PlowError:
            pass  # not a refusal of the form: the stream's own retries handle it
        stream = ChatStream(api, None, last_uids=anchors, **self._stream_options)
        self._stream = stream
        await self._relay(stream)

    @work(group="stream-one", exit_on_error=False)
    async def _follow_one(self, chat_uid: str, last_uid: str | None) -> None:
        from plow_tui.client.stream import ChatStream

        await self._relay(ChatStream(self._api(), chat_uid, last_uid=last_uid, **self._stream_options))

    async def _relay(self, stream: ChatStream) -> None:
        from plow_tui.client import events as ev

        self._relaying.add(stream)
        try:
            async with contextlib.aclosing(stream.events()) as events:
                async for event in events:
                    if isinstance(event, ev.MessagesArrived) and not event.backfill:
                        self._gather(event.messages)
                        continue
                    self._post_gathered()  # first, to keep the order
                    self.post_message(self.Event(event))
        except NotFound as error:
            if stream.chat_uid is None:
                self.post_message(self.Failed(error))
            else:
                self.post_message(self.Gone(stream.chat_uid))
        except PlowError as error:
            self.post_message(self.Failed(error))
        finally:
            self._relaying.discard(stream)

    def _gather(self, messages: Iterable[ChatMessage]) -> None:
        """Post arrived messages at once, or with what else arrives within a frame of the last post.

        In a burst the stream yields faster than the screen takes messages,
        and while it has messages to handle the screen paints nothing: a key
        typed meanwhile waited for all of them (issue #19). Gathered, the
        screen handles at most one batch a frame and paints in between; a
        message alone still goes at once.
        """
        if not self._gathered:
            wait = self._posted_at + GATHER_INTERVAL - monotonic()
            if wait > 0:
                self.set_timer(wait, self._post_gathered)
            else:
                self.call_later(self._post_gathered)
        self._gathered.extend(messages)

    def _post_gathered(self) -> None:
        gathered, self._gathered = self._gathered, []
        if gathered:
            from plow_tui.client import events as ev

            self._posted_at = monotonic()
            self.post_message(self.Event(ev.MessagesArrived(tuple(gathered))))

    @on(_AllChatsRefused)
    def _all_chats_refused(self, message: _AllChatsRefused) -> None:
        message.stop()
        self._per_chat = True
        anchors, opened = self._last_request
        self.follow(anchors, opened)
