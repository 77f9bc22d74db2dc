"""`PlowClient`: the REST half of the Plow API (PROTOCOL.md §1–§6) on one httpx client.

Reads (GET, and redeem, which changes nothing when repeated) are retried with
exponential backoff and jitter on 429/502/503/504 and on connection failures.

Time and size are bounded whatever the server does: httpx's timeout is per
network read, so a server dripping one byte at a time could hold a request
forever; each attempt therefore also has a total deadline
(`REQUEST_DEADLINE`), a read with its retries and pauses a total budget
(`READ_BUDGET`), and an answer larger than `MAX_BODY_BYTES` is not read.
Sends, creates and deletes are never retried: a repeated send is a repeated
text on somebody's phone. Tokens, tickets and activation secrets are
registered with the log redactor as soon as the client sees them, and never
formatted into a log line, an error or a repr.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from json import loads as json_loads
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from plow_tui import __version__
from plow_tui.client.codes import check_verification_code
from plow_tui.client.errors import (
    DeliveryUnknown,
    NetworkError,
    NotFound,
    NotSignedIn,
    PlowError,
    RateLimited,
    ServerUnavailable,
    error_from_response,
)
from plow_tui.client.answers import ActivationStart, Page, Redeem
from plow_tui.client.models import Chat, ChatMessage, Line, Member, message_uid
from plow_tui.client.urls import normalize_base_url, ws_url
from plow_tui.logs import register_secret

log = logging.getLogger(__name__)

USER_AGENT = f"plow-tui/{__version__} httpx/{httpx.__version__}"
DEFAULT_TIMEOUT = 15.0  # seconds without a byte (connect: at most 10)
# One attempt, first byte sent to last byte read; a server answering slowly but
# steadily gets this long, a dripping one no longer.
REQUEST_DEADLINE = 20.0
# A read with every retry and backoff pause: a dead server costs 30 s, not 4 × 15 s.
READ_BUDGET = 30.0
# A history page of 100 long texts is under 1 MiB; ten thousand chats about 5 MiB.
MAX_BODY_BYTES = 16 * 1024 * 1024
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_BACKOFF_BASE = 0.5
_BACKOFF_MAX = 20.0
# A server asking for a longer pause than this gets a RateLimited error instead.
_RETRY_AFTER_MAX = 60.0

Sleep = Callable[[float], Awaitable[Any]]


def _segment(value: str, what: str) -> str:
    # Quoting keeps a user-typed uid from walking to another route ("../").
    if not value or not value.strip():
        raise NotFound(f"No {what} was given.", status=None)
    return quote(value.strip(), safe="")


# Turns of the event loop a page read ahead gets before this page is handed out:
# httpx (through anyio) passes a checkpoint before each write, and puts a request
# on a kept-alive connection in three turns (measured). Yielding at every few
# messages instead cost the app a thousand loop turns per 5,000-message catch-up.
_SEND_TURNS = 4

# Server ids are short; a cursor longer than this is not sent back (httpx refuses
# very long URL parts, and no real history needs one).
_MAX_CURSOR = 1024


def _sendable(cursor: str) -> bool:
    """Whether a cursor the server chose can go back into a URL: not absurdly long, encodable as UTF-8."""
    if len(cursor) > _MAX_CURSOR:
        return False
    try:
        cursor.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which JSON can carry
        return False
    return True


class _TooLarge(Exception):
    """The answer went past `MAX_BODY_BYTES`."""


def _transport_failure(error: Exception, base_url: str) -> tuple[str, str | None]:
    """What to say when a request got no answer, and, if a send may still have committed, what to say then."""
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)):
        # Nothing reached the server: not even a send can have committed.
        return f"Could not reach {base_url}.", None
    if isinstance(error, (httpx.TimeoutException, TimeoutError)):  # TimeoutError: our own deadline
        return (
            f"{base_url} did not answer in time.",
            "The server did not answer in time; the message may have been sent.",
        )
    return (
        f"The connection to {base_url} failed.",
        "The connection broke during the send; the message may have been sent.",
    )


def _list_data(payload: Any) -> list[Any]:
    # The list envelope (§1), tolerating a bare JSON array.
    if isinstance(payload, dict):
        data = payload.get("data")
        return data if isinstance(data, list) else []
    return payload if isinstance(payload, list) else []


@dataclass
class HistoryWalk:
    """How a `history()` walk went, for a caller that must know whether it saw everything.

    `cut` is True when the walk stopped while the server still said there was
    more: its page cap was reached, or its cursor stopped advancing (a page
    with no uid not already seen, or a cursor used before).
    """

    pages: int = 0
    cut: bool = False


async def _read_capped(response: httpx.Response) -> bytes:
    """`response`'s body, refusing to hold more than `MAX_BODY_BYTES`."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise _TooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge()
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _with_body(response: httpx.Response, content: bytes) -> httpx.Response:
    """A copy of streamed `response` holding its (already read) `content`, for error handling."""
    # aiter_bytes() already decoded any Content-Encoding: the copy must not decode again.
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
    return httpx.Response(response.status_code, headers=headers, content=content, request=response.request)


class PlowClient:
    """An async client for one Plow server, optionally signed in with a token.

    Use it as `async with PlowClient(url, token) as api: ...`, or call
    `aclose()` when done. `transport` lets tests plug in `httpx.MockTransport`;
    `sleep` and `rng` make the retry backoff deterministic in tests.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = REQUEST_DEADLINE,
        budget: float = READ_BUDGET,
        max_retries: int = 3,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._base_url = normalize_base_url(base_url)
        self._token: str | None = None
        self.token = token
        self.max_retries = max(0, max_retries)
        self._deadline = deadline
        self._budget = max(budget, deadline)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"PlowClient({self._base_url!r}, signed_in={self._token is not None})"

    # -- lifecycle ---------------------------------------------------------

    async def __aenter__(self) -> PlowClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        register_secret(value)
        self._token = value or None

    # -- the request loop ----------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        delay = min(_BACKOFF_MAX, _BACKOFF_BASE * (2**attempt))
        return delay * (0.5 + self._rng.random() / 2)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        auth: bool = True,
        retry: bool = False,
        is_send: bool = False,
        is_redeem: bool = False,
    ) -> Any:
        """Send one request (retrying reads) and return the decoded JSON body, or None."""
        headers: dict[str, str] = {}
        if auth:
            if not self._token:
                raise NotSignedIn("Not signed in: run `plow-tui activate` first.", status=401)
            headers["Authorization"] = f"Bearer {self._token}"
        attempts = 1 + (self.max_retries if retry else 0)
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + (self._budget if retry else self._deadline)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                async with asyncio.timeout(max(0.0, min(self._deadline, give_up_at - loop.time()))):
                    async with self._http.stream(
                        method, path, json=json, params=params, headers=headers
                    ) as streamed:
                        content = await _read_capped(streamed)
            except (httpx.HTTPError, TimeoutError) as exc:
                failed, maybe_sent = _transport_failure(exc, self._base_url)
                if is_send and maybe_sent:
                    raise DeliveryUnknown(maybe_sent) from exc
                delay = self._backoff(attempt)
                if last or loop.time() + delay >= give_up_at:
                    raise NetworkError(failed) from exc
                await self._sleep(delay)
                continue
            except _TooLarge:
                what = f"The server's answer is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB; it was not read."
                if is_send:
                    raise DeliveryUnknown(f"{what} The message may have been sent.") from None
                raise ServerUnavailable(what) from None
            status = streamed.status_code
            log.debug("%s %s -> %s", method, path, status)
            if 200 <= status < 300:
                return self._decode(status, content, is_send=is_send)
            error = error_from_response(_with_body(streamed, content), is_send=is_send, is_redeem=is_redeem)
            if last or status not in _RETRY_STATUSES:
                raise error
            delay = self._backoff(attempt)
            if isinstance(error, RateLimited) and error.retry_after is not None:
                if error.retry_after > _RETRY_AFTER_MAX:
                    raise error
                delay = error.retry_after
            if loop.time() + delay >= give_up_at:
                raise error  # the pause alone would overrun the budget
            await self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    @staticmethod
    def _decode(status: int, content: bytes, *, is_send: bool = False) -> Any:
        if not content:
            return None
        try:
            return json_loads(content)  # what httpx's `Response.json()` does (bytes: UTF-8/16/32 detected)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            if is_send:
                # The send was accepted (2xx): only its answer is garbled.
                raise DeliveryUnknown(
                    f"The server answered {status} with something that is not JSON; the message may have been sent.",
                    status=status,
                ) from exc
            raise ServerUnavailable(f"The server answered {status} with something that is not JSON.", status=status) from exc

    # -- activation (no token) ------------------------------------------------

    async def activate(self, name: str | None = None, provision_chat: bool = True) -> ActivationStart:
        """Start a sign-in by text (§2). The answer's secret is a credential."""
        body: dict[str, Any] = {"provision_chat": provision_chat}
        if name:
            body["name"] = name
        payload = await self._request("POST", "/v1/auth/activate", json=body, auth=False)
        start = ActivationStart.from_json(payload)
        register_secret(start.activation_secret)
        if not start.activation_secret or not start.display_code or not start.send_to:
            raise PlowError("The server's activation answer is missing its code, secret or number.")
        return start

    async def redeem(self, secret: str) -> Redeem:
        """Ask whether the activation text arrived (§2). Safe to repeat, so it is retried."""
        register_secret(secret)
        payload = await self._request(
            "POST",
            "/v1/auth/activate/redeem",
            json={"activation_secret": secret},
            auth=False,
            retry=True,
            is_redeem=True,
        )
        result = Redeem.from_json(payload)
        register_secret(result.token)
        return result

    # -- lines and chats ----------------------------------------------------

    async def lines(self) -> list[Line]:
        payload = await self._request("GET", "/v1/lines", retry=True)
        return [Line.from_json(item) for item in _list_data(payload) if isinstance(item, dict)]

    async def chats(self) -> list[Chat]:
        payload = await self._request("GET", "/v1/chats", retry=True)
        return [Chat.from_json(item) for item in _list_data(payload) if isinstance(item, dict)]

    async def chat(self, uid: str) -> Chat:
        payload = await self._request("GET", f"/v1/chats/{_segment(uid, 'chat')}", retry=True)
        return Chat.from_json(payload)

    async def create_chat(self, line_id: str, member_names: list[str] | tuple[str, ...]) -> Chat:
        """Create a pending chat; the answer carries each member's `VERIFY-` code.

        A code of another shape raises `UnexpectedCode` (the chat exists all the
        same: it is listed, and a resend asks for a fresh code).
        """
        participants: list[dict[str, Any]] = [{"type": "agent", "line_id": line_id}]
        participants += [{"type": "member", "display_name": name} for name in member_names]
        payload = await self._request("POST", "/v1/chats", json={"participants": participants})
        chat = Chat.from_json(payload)
        for member in chat.members:
            check_verification_code(member.verification_code)
        return chat

    async def delete_chat(self, uid: str) -> None:
        await self._request("DELETE", f"/v1/chats/{_segment(uid, 'chat')}")

    async def resend_invitation(self, chat_uid: str, participant_uid: str) -> Member:
        """A fresh verification code for a pending member; the old one dies."""
        path = (
            f"/v1/chats/{_segment(chat_uid, 'chat')}/invitations/"
            f"{_segment(participant_uid, 'participant')}/resend"
        )
        member = Member.from_json(await self._request("POST", path))
        check_verification_code(member.verification_code)
        return member

    # -- messages -------------------------------------------------------------

    async def send_message(self, chat_uid: str, body: str) -> ChatMessage:
        """Send a text. Never retried; 408/424/5xx raise `DeliveryUnknown`."""
        payload = await self._request(
            "POST", f"/v1/chats/{_segment(chat_uid, 'chat')}/messages", json={"body": body}, is_send=True
        )
        message = ChatMessage.from_json(payload) if isinstance(payload, dict) else None
        if message is None or not message.uid:
            raise DeliveryUnknown("The server's answer to the send is not a message; the message may have been sent.")
        return message

    async def messages(self, chat_uid: str, limit: int = 20, starting_after: str | None = None) -> Page:
        """One page, newest first; `starting_after` (exclusive) pages to older messages."""
        items, has_more = await self._raw_page(chat_uid, limit, starting_after)
        return Page(data=tuple(ChatMessage.from_json(item) for item in items), has_more=has_more)

    async def _raw_page(self, chat_uid: str, limit: int, starting_after: str | None) -> tuple[list[dict[str, Any]], bool]:
        """One page as decoded JSON objects (newest first), and whether the server has more."""
        # The query written here, not given to httpx as `params`: merging those parses and
        # validates the whole URL twice more, a third of the client's work before the
        # request goes out (and a catch-up's pages wait on each other's requests).
        query = f"limit={int(limit)}"
        if starting_after:
            query += f"&starting_after={quote(starting_after, safe='')}"
        payload = await self._request("GET", f"/v1/chats/{_segment(chat_uid, 'chat')}/messages?{query}", retry=True)
        items = [item for item in _list_data(payload) if isinstance(item, dict)]
        has_more = bool(payload.get("has_more")) if isinstance(payload, dict) else False
        return items, has_more

    async def history(
        self,
        chat_uid: str,
        *,
        until_uid: str | None = None,
        page_size: int = 100,
        max_pages: int | None = None,
        walk: HistoryWalk | None = None,
    ) -> AsyncIterator[ChatMessage]:
        """Messages newest first, down to `until_uid` (exclusive) or the first message.

        Each uid comes once. A server whose cursor does not advance (a page with
        nothing new, a cursor seen before) ends the walk instead of looping, as
        does `max_pages`; `walk` (if given) records the pages and whether the
        walk was cut short.

        The next page is asked for as soon as this
        one's JSON is read (its last uid is the cursor), and its request goes
        out before this page's messages are built and handed out: the server
        prepares it while this side builds and the caller works through this
        one (a long catch-up is mostly such waits, so the walk takes little
        more than the server's own time per page). After the first page only
        when the walk knows where it ends (`until_uid`: a catch-up, which ends
        at its anchor, not at a count): a caller reading the newest N messages
        stops after the first page, and such a walk still costs one request.
        A walk the caller ends early drops the one page read ahead.
        """
        walk = walk if walk is not None else HistoryWalk()
        yielded: set[str] = set()  # grows only as fast as the caller consumes
        cursors: set[str] = set()
        starting_after: str | None = None
        ahead: asyncio.Task[tuple[list[dict[str, Any]], bool]] | None = None
        try:
            while True:
                if max_pages is not None and walk.pages >= max_pages:
                    walk.cut = True
                    return
                if ahead is not None:
                    (items, has_more), ahead = await ahead, None
                else:
                    items, has_more = await self._raw_page(chat_uid, page_size, starting_after)
                walk.pages += 1
                # What this page hands out (each uid once), and whether `until_uid` ends the walk here.
                fresh: list[dict[str, Any]] = []
                reached = False
                for item in items:
                    uid = message_uid(item)
                    if until_uid is not None and uid == until_uid:
                        reached = True
                        break
                    if uid:
                        if uid in yielded:
                            continue
                        yielded.add(uid)
                    fresh.append(item)
                cursor = message_uid(items[-1]) if items else ""
                # Where the walk goes next, decided before the page is handed out (it does not depend on the caller).
                stop = ""
                if reached or not has_more or not cursor:
                    stop = "end"
                elif not fresh or cursor in cursors:
                    stop = "the server's message history stopped advancing; stopping there"
                elif not _sendable(cursor):
                    stop = "the server's history cursor cannot be sent back in a URL; stopping there"
                else:
                    cursors.add(cursor)
                    starting_after = cursor
                    if (walk.pages > 1 or until_uid is not None) and (max_pages is None or walk.pages < max_pages):
                        ahead = asyncio.ensure_future(self._raw_page(chat_uid, page_size, cursor))
                        for _ in range(_SEND_TURNS):  # its request goes out before this page is built
                            await asyncio.sleep(0)
                for item in fresh:
                    yield ChatMessage.from_json(item)
                if stop == "end":
                    return
                if stop:
                    log.warning("%s", stop)
                    walk.cut = True
                    return
        finally:
            if ahead is not None:  # the caller stopped early: the page read ahead is not needed
                ahead.cancel()
                with contextlib.suppress(asyncio.CancelledError, PlowError):
                    await ahead

    # -- WebSocket tickets ------------------------------------------------------

    async def ws_ticket(self, chat_uid: str | None) -> str:
        """A single-use, short-lived ticket: one chat's, or every chat's when `chat_uid` is None."""
        body = {"chat_id": chat_uid} if chat_uid else {}
        payload = await self._request("POST", "/v1/ws/ticket", json=body)
        ticket = payload.get("ticket") if isinstance(payload, dict) else None
        if not isinstance(ticket, str) or not ticket:
            raise PlowError("The server's ticket answer has no ticket.")
        register_secret(ticket)
        return ticket

    def ws_url(self, ticket: str) -> str:
        """The socket URL for `ticket`. It holds a credential: never log or show it."""
        return ws_url(self._base_url, ticket)

    # -- discovery --------------------------------------------------------------

    async def openapi(self) -> dict[str, Any]:
        payload = await self._request("GET", "/openapi.json", auth=False, retry=True)
        if not isinstance(payload, dict):
            raise PlowError("The server's /openapi.json is not a JSON object.")
        return payload
