"""`AiryClient`: the three HTTP calls of the Airy Chat Plugin API (AIRY.md).

The client holds at most one auth token, the one the last `authenticate`
returned. Tokens are registered with the log redactor as soon as they are
seen and never appear in an error or a repr. Nothing is retried here: a
repeated `authenticate` with a channel id starts another conversation and a
repeated `send` sends twice; the stream decides when to try again.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from plow_tui import __version__
from plow_tui.client.airy.errors import (
    AiryBadRequest,
    AiryChannelNotFound,
    AiryError,
    AiryNetworkError,
    AiryProtocolError,
    AiryUnauthorized,
)
from plow_tui.client.airy.models import AiryMessage
from plow_tui.logs import register_secret

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 15.0
USER_AGENT = f"plow-tui/{__version__}"

Content = dict[str, Any]


def normalize_instance_url(url: str) -> str:
    """`https://airy.example.com/` → `https://airy.example.com`; anything but http(s) is refused."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"The Airy URL must look like https://host (got {url!r}).")
    return url


def websocket_url(base_url: str) -> str:
    """`ws(s)://host/ws.chatplugin` for an instance (no credential in it: auth is in CONNECT)."""
    parts = urlsplit(normalize_instance_url(base_url))
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/ws.chatplugin", "", ""))


def _server_message(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None
    message = body.get("message") if isinstance(body, dict) else None
    return message.strip() if isinstance(message, str) and message.strip() else None


def error_from_response(response: httpx.Response, action: str) -> AiryError:
    status = response.status_code
    said = _server_message(response)
    detail = f" ({said})" if said else ""
    if status == 400:
        return AiryBadRequest(f"The Airy instance refused to {action}: bad request{detail}.", status=status)
    if status in (401, 403):
        return AiryUnauthorized(f"The Airy instance refused the token to {action}{detail}.", status=status)
    if status == 404:
        return AiryChannelNotFound(
            f"The Airy channel is unknown or no longer connected{detail}.", status=status
        )
    if status >= 500:
        return AiryNetworkError(f"The Airy instance failed to {action}: HTTP {status}{detail}.", status=status)
    return AiryError(f"The Airy instance answered HTTP {status} to {action}{detail}.", status=status)


class AiryClient:
    """An async client for one Airy instance's Chat Plugin API, as a website visitor.

    Use `async with AiryClient(url) as airy:` or call `aclose()`. `transport`
    lets tests plug in `httpx.MockTransport`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = normalize_instance_url(base_url)
        self.token: str | None = None
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
        )

    def __repr__(self) -> str:
        return f"AiryClient({self.base_url!r}, authenticated={self.token is not None})"

    @property
    def websocket_url(self) -> str:
        return websocket_url(self.base_url)

    async def __aenter__(self) -> AiryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post(self, path: str, body: dict[str, Any], action: str, *, auth: bool) -> Any:
        headers = {}
        if auth:
            if not self.token:
                raise AiryUnauthorized(f"Not authenticated: cannot {action}.")
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = await self._http.post(path, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise AiryNetworkError(f"The Airy instance did not answer in time ({action}).") from exc
        except httpx.HTTPError as exc:
            raise AiryNetworkError(f"Cannot reach the Airy instance at {self.base_url} ({type(exc).__name__}).") from exc
        if response.status_code != 200:
            raise error_from_response(response, action)
        try:
            return response.json()
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            raise AiryProtocolError(f"The Airy instance answered something that is not JSON ({action}).") from exc

    async def authenticate(
        self, channel_id: str | None = None, resume_token: str | None = None
    ) -> tuple[str, list[AiryMessage]]:
        """A new conversation (channel id) or a resumed one (resume token wins): (token, history)."""
        if resume_token:
            register_secret(resume_token)
            body: dict[str, Any] = {"resume_token": resume_token}
        elif channel_id:
            body = {"channel_id": channel_id}
        else:
            raise AiryBadRequest("A channel id or a resume token is needed to start a conversation.")
        payload = await self._post("/chatplugin.authenticate", body, "authenticate", auth=False)
        token = payload.get("token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise AiryProtocolError("The Airy instance answered authenticate without a token.")
        register_secret(token)
        self.token = token
        raw_messages = payload.get("messages")
        messages = [AiryMessage.from_json(m) for m in raw_messages if isinstance(m, dict)] if isinstance(raw_messages, list) else []
        return token, [m for m in messages if m.id]

    async def resume_token(self) -> str:
        """A resume token for the current conversation (it outlives the auth token)."""
        payload = await self._post("/chatplugin.resumeToken", {}, "issue a resume token", auth=True)
        token = payload.get("resume_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise AiryProtocolError("The Airy instance answered resumeToken without a token.")
        register_secret(token)
        return token

    async def send(self, message: str | Content) -> AiryMessage:
        """Send text, or a content object (quick reply, attachment) as the widget does."""
        content: Content = {"text": message} if isinstance(message, str) else message
        payload = await self._post("/chatplugin.send", {"message": content}, "send the message", auth=True)
        sent = AiryMessage.from_json(payload)
        if not sent.id:
            raise AiryProtocolError("The Airy instance answered send without a message id.")
        return sent
