"""`AiryStream`: the conversation's STOMP socket, kept alive, with nothing lost or doubled.

The official widget reconnects after 5 s with the same token and does not
refetch history, so messages sent while it was away are missed. Here every
(re)connection goes: CONNECT → SUBSCRIBE (with a receipt) → re-authenticate
with the resume token, which returns the whole history → merge by id. A
message pushed in the gap shows up in that history; one that comes both ways
is merged once. A 401 (an `ERROR` frame, or from HTTP) re-authenticates.

How it ends is the contract both live streams keep (ARCHITECTURE.md, "How a
stream ends", and `ChatStream`): only when the consumer closes it, or by
raising. A failure no retry can mend (the channel gone: `AiryChannelNotFound`;
a bad channel id: `AiryBadRequest`; a bug, as `AiryError`) is a last
`ConnectionChanged("offline")` with no `retry_in`, then that `AiryError`
raised from `events()`. Everything else is retried with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator, Sequence
from urllib.parse import urlsplit

from plow_tui.client.airy import stomp
from plow_tui.client.airy.conversation import AiryConversation
from plow_tui.client.airy.errors import AiryBadRequest, AiryChannelNotFound, AiryError
from plow_tui.client.airy.events import AiryEvent, is_final
from plow_tui.client.airy.models import AiryPush
from plow_tui.client.events import ConnectionChanged, ConnectionState

log = logging.getLogger(__name__)

SUBPROTOCOL = "v12.stomp"
DESTINATION = "/user/queue/message"
SUBSCRIPTION_ID = "sub-0"
DEFAULT_HEARTBEAT_MS = (30_000, 30_000)
DEFAULT_RECONNECT_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
# Servers without receipts for SUBSCRIBE (Spring's simple broker) get this
# long before the history is fetched anyway.
RECEIPT_WAIT = 2.0
OPEN_TIMEOUT = 10.0

# Errors that end the stream: trying again cannot help.
_FATAL = (AiryChannelNotFound, AiryBadRequest)


class _Unauthorized(Exception):
    """The server refused the auth token on the socket (an ERROR frame naming 401)."""


class _ServerError(Exception):
    """Any other ERROR frame."""


class AiryStream:
    """Runs the socket of an `AiryConversation` and yields its events.

    `async for event in AiryStream(conversation).events(): ...` starts the
    conversation if needed, connects, and yields `AiryEvent`s until `close()`;
    a fatal error ends it as a final `offline`, then the `AiryError` raised.
    """

    def __init__(
        self,
        conversation: AiryConversation,
        *,
        heartbeat_ms: tuple[int, int] = DEFAULT_HEARTBEAT_MS,
        reconnect_delays: Sequence[float] = DEFAULT_RECONNECT_DELAYS,
        receipt_wait: float = RECEIPT_WAIT,
        open_timeout: float = OPEN_TIMEOUT,
    ) -> None:
        self.conversation = conversation
        self.heartbeat_ms = heartbeat_ms
        self.reconnect_delays = tuple(reconnect_delays) or (1.0,)
        self.receipt_wait = receipt_wait
        self.open_timeout = open_timeout
        self.connections = 0  # successful STOMP sessions so far, for status and tests
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._failure: AiryError | None = None  # why it stopped for good, raised after the final `offline`

    def __repr__(self) -> str:
        return f"AiryStream({self.conversation!r})"

    async def events(self) -> AsyncIterator[AiryEvent]:
        conversation = self.conversation
        self._task = asyncio.create_task(self._run(), name="airy-stream")
        try:
            while True:
                event = await conversation.next_event()
                yield event
                if is_final(event):
                    if self._failure is not None:
                        raise self._failure
                    return
        finally:
            await self.close()

    async def close(self) -> None:
        self._closed = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the reconnect loop ---------------------------------------------------------

    def _emit_state(self, state: ConnectionState, reason: str | None = None, retry_in: float | None = None) -> None:
        self.conversation.emit(ConnectionChanged(state, retry_in=retry_in, reason=reason))

    async def _run(self) -> None:
        conversation = self.conversation
        try:
            self._emit_state("connecting")
            failures = 0
            restarts = 0
            reauthenticate = False
            while not self._closed:
                connected_before = self.connections
                try:
                    if not conversation.started:
                        await conversation.start()
                    elif reauthenticate:
                        await conversation.reauthenticate()
                    reauthenticate = False
                    if await self._session() == "restarted":
                        # Counted only while no connection went live in between.
                        restarts = 1 if self.connections > connected_before else restarts + 1
                        if restarts == 1:
                            continue  # a new conversation: connect again for it, at once
                        # Restarting over and over means the server refuses its own
                        # tokens: back off rather than open conversations in a loop.
                        detail = "the conversation was restarted again"
                    else:
                        restarts = 0
                        detail = "the connection closed"
                except _Unauthorized:
                    detail = "the token was refused; signing in again"
                    if not reauthenticate:
                        # A fresh token deserves an immediate try; a second refusal waits.
                        reauthenticate = True
                        self._emit_state("reconnecting", detail, 0.0)
                        continue
                except _FATAL:
                    raise
                except (AiryError, OSError, asyncio.TimeoutError, stomp.StompError, _ServerError) as exc:
                    detail = _describe(exc)
                except Exception as exc:  # websockets' own errors, imported lazily
                    if not _is_websocket_error(exc):
                        raise
                    detail = _describe(exc)
                if self.connections > connected_before:
                    failures = 0
                delay = self.reconnect_delays[min(failures, len(self.reconnect_delays) - 1)]
                delay *= random.uniform(1.0, 1.2)
                failures += 1
                # "reconnecting" after a live connection dropped, "offline" when none could be made.
                state: ConnectionState = "reconnecting" if self.connections > connected_before else "offline"
                self._emit_state(state, detail, delay)
                await asyncio.sleep(delay)
        except _FATAL as exc:
            self._failure = exc
            self._emit_state("offline", str(exc))
        except asyncio.CancelledError:
            self._emit_state("offline", "closed")
            raise
        except Exception as exc:
            # A bug must not leave the reader waiting forever: report and stop.
            log.exception("the Airy stream stopped")
            error = AiryError(f"The Airy stream stopped: {type(exc).__name__}.")
            self._failure = error
            self._emit_state("offline", str(error))

    # -- one STOMP session ----------------------------------------------------------

    async def _session(self) -> str:
        """One connection, until it drops; "restarted" when a new conversation replaced ours."""
        from websockets.asyncio.client import connect

        conversation = self.conversation
        client = conversation.client
        token = client.token
        if not token:
            raise _Unauthorized
        async with connect(
            client.websocket_url,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            open_timeout=self.open_timeout,
            max_size=stomp.DEFAULT_MAX_FRAME_BYTES,
        ) as ws:
            parser = stomp.FrameParser()
            cx, cy = self.heartbeat_ms
            await ws.send(
                stomp.encode_text(
                    stomp.Frame.build(
                        "CONNECT",
                        # websockets logs a frame holding NUL as hex, first 16 and
                        # last 8 bytes only, beyond the redactor's reach: keep the
                        # token away from both ends.
                        {
                            "accept-version": "1.2",
                            "Authorization": f"Bearer {token}",
                            "host": urlsplit(client.base_url).hostname or "",
                            "heart-beat": f"{cx},{cy}",
                        },
                    )
                )
            )
            pending: list[stomp.Frame] = []
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a
            # cancellation that races a completed recv, and close() would hang.
            async with asyncio.timeout(self.open_timeout):
                connected = await self._await_frame(ws, parser, "CONNECTED", pending)
            send_every, expect_within = stomp.negotiate(
                self.heartbeat_ms, stomp.parse_heartbeat(connected.header("heart-beat"))
            )
            beats = asyncio.create_task(self._heartbeats(ws, send_every)) if send_every else None
            restarted = False

            def on_restart() -> None:
                # A send re-authenticated into a new conversation: this socket is stale.
                nonlocal restarted
                restarted = True
                asyncio.ensure_future(ws.close())

            remove_listener = conversation.on_restart(on_restart)
            try:
                receipt = f"{SUBSCRIPTION_ID}-ready"
                await ws.send(
                    stomp.encode_text(
                        stomp.Frame.build(
                            "SUBSCRIBE",
                            {"id": SUBSCRIPTION_ID, "destination": DESTINATION, "ack": "auto", "receipt": receipt},
                        )
                    )
                )
                with contextlib.suppress(asyncio.TimeoutError):
                    async with asyncio.timeout(self.receipt_wait):
                        await self._await_receipt(ws, parser, receipt, pending)
                self._handle_all(pending)
                pending.clear()
                # Subscribed: from here on nothing is missed, so fetch what was.
                if await conversation.reauthenticate():
                    return "restarted"  # this socket belongs to the old conversation
                self.connections += 1
                self._emit_state("live")
                # Twice the server's interval: one late beat on a slow link is not a drop.
                timeout = 2 * expect_within if expect_within else None
                while True:
                    try:
                        async with asyncio.timeout(timeout):
                            data = await ws.recv()
                    except Exception:
                        if restarted:
                            return "restarted"
                        raise
                    self._handle_all(parser.feed(data))
            finally:
                remove_listener()
                if beats is not None:
                    beats.cancel()

    async def _await_frame(
        self, ws: object, parser: stomp.FrameParser, command: str, pending: list[stomp.Frame]
    ) -> stomp.Frame:
        while True:
            data = await ws.recv()  # type: ignore[attr-defined]
            frames = parser.feed(data)
            for index, frame in enumerate(frames):
                if frame.command == "ERROR":
                    _raise_error(frame)
                if frame.command == command:
                    # Frames after it in the same message are kept for later, not lost.
                    pending.extend(frames[index + 1 :])
                    return frame
                pending.append(frame)

    async def _await_receipt(
        self, ws: object, parser: stomp.FrameParser, receipt: str, pending: list[stomp.Frame]
    ) -> None:
        while True:
            frame = await self._await_frame(ws, parser, "RECEIPT", pending)
            if frame.header("receipt-id") == receipt:
                return

    def _handle_all(self, frames: list[stomp.Frame]) -> None:
        for frame in frames:
            if frame.command == "MESSAGE":
                self._handle_message(frame)
            elif frame.command == "ERROR":
                _raise_error(frame)

    def _handle_message(self, frame: stomp.Frame) -> None:
        try:
            push = AiryPush.from_json(json.loads(frame.body))
        except (ValueError, RecursionError):  # bad UTF-8 or JSON; RecursionError: absurdly deep nesting
            push = None
        if push is None:
            log.warning("skipping an Airy push that holds no message")
            return
        if push.conversation_id:
            self.conversation.conversation_id = push.conversation_id
        self.conversation.ingest([push.message], backfill=False)

    @staticmethod
    async def _heartbeats(ws: object, every: float) -> None:
        # STOMP heart-beat: a lone EOL. Errors end the beat; the reader notices the drop.
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(every)
                await ws.send("\n")  # type: ignore[attr-defined]


def _raise_error(frame: stomp.Frame) -> None:
    message = frame.header("message") or frame.text
    if "401" in message or "nauthori" in message:
        raise _Unauthorized
    raise _ServerError(f"the server reported a STOMP error: {message[:200]}")


def _is_websocket_error(exc: BaseException) -> bool:
    from websockets.exceptions import WebSocketException

    return isinstance(exc, WebSocketException)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "the server went quiet"
    if isinstance(exc, (AiryError, _ServerError)):
        return str(exc)
    if _is_websocket_error(exc):
        return "the connection dropped"
    return f"cannot connect ({type(exc).__name__})"
