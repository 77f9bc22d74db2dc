"""`PlowClient`: the REST half of the Plow API (PROTOCOL.md §1–§6) on one httpx client.

Reads (GET, and redeem, which changes nothing when repeated) are retried with
exponential backoff and jitter on 429/502/503/504 and on connection failures.
Sends, creates and deletes are never retried: a repeated send is a repeated
text on somebody's phone. Tokens, tickets and activation secrets are
registered with the log redactor as soon as the client sees them, and never
formatted into a log line, an error or a repr.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
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
from plow_tui.client.models import ActivationStart, Chat, Line, Member, Message, Page, Redeem
from plow_tui.client.urls import normalize_base_url, ws_url
from plow_tui.logs import register_secret

log = logging.getLogger(__name__)

USER_AGENT = f"plow-tui/{__version__} httpx/{httpx.__version__}"
DEFAULT_TIMEOUT = 15.0
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


def _transport_failure(error: httpx.HTTPError, base_url: str) -> tuple[str, str | None]:
    """What to say when a request got no answer, and, if a send may still have committed, what to say then."""
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)):
        # Nothing reached the server: not even a send can have committed.
        return f"Could not reach {base_url}.", None
    if isinstance(error, httpx.TimeoutException):
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
        max_retries: int = 3,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._base_url = normalize_base_url(base_url)
        self._token: str | None = None
        self.token = token
        self.max_retries = max(0, max_retries)
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
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._http.request(method, path, json=json, params=params, headers=headers)
            except httpx.HTTPError as exc:
                failed, maybe_sent = _transport_failure(exc, self._base_url)
                if is_send and maybe_sent:
                    raise DeliveryUnknown(maybe_sent) from exc
                if last:
                    raise NetworkError(failed) from exc
                await self._sleep(self._backoff(attempt))
                continue
            log.debug("%s %s -> %s", method, path, response.status_code)
            if response.is_success:
                return self._decode(response)
            error = error_from_response(response, is_send=is_send, is_redeem=is_redeem)
            if last or response.status_code not in _RETRY_STATUSES:
                raise error
            delay = self._backoff(attempt)
            if isinstance(error, RateLimited) and error.retry_after is not None:
                if error.retry_after > _RETRY_AFTER_MAX:
                    raise error
                delay = error.retry_after
            await self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    @staticmethod
    def _decode(response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            raise ServerUnavailable(
                f"The server answered {response.status_code} with something that is not JSON.",
                status=response.status_code,
            ) from exc

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

    async def send_message(self, chat_uid: str, body: str) -> Message:
        """Send a text. Never retried; 408/424/5xx raise `DeliveryUnknown`."""
        payload = await self._request(
            "POST", f"/v1/chats/{_segment(chat_uid, 'chat')}/messages", json={"body": body}, is_send=True
        )
        return Message.from_json(payload)

    async def messages(self, chat_uid: str, limit: int = 20, starting_after: str | None = None) -> Page:
        """One page, newest first; `starting_after` (exclusive) pages to older messages."""
        params: dict[str, Any] = {"limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        payload = await self._request(
            "GET", f"/v1/chats/{_segment(chat_uid, 'chat')}/messages", params=params, retry=True
        )
        data = tuple(Message.from_json(item) for item in _list_data(payload) if isinstance(item, dict))
        has_more = bool(payload.get("has_more")) if isinstance(payload, dict) else False
        return Page(data=data, has_more=has_more)

    async def history(
        self, chat_uid: str, *, until_uid: str | None = None, page_size: int = 100
    ) -> AsyncIterator[Message]:
        """Messages newest first, down to `until_uid` (exclusive) or the first message."""
        starting_after: str | None = None
        while True:
            page = await self.messages(chat_uid, limit=page_size, starting_after=starting_after)
            for message in page.data:
                if until_uid is not None and message.uid == until_uid:
                    return
                yield message
            if not page.has_more or not page.data or not page.data[-1].uid:
                return
            starting_after = page.data[-1].uid

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
