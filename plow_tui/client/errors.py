"""Errors the Plow client raises, one class per thing a caller does differently.

`error_from_response()` maps an HTTP answer to the right class, reading the
code and message from any of the error envelopes of PROTOCOL.md §1. Messages
are taken from the server's words or written here. The client never formats a
token, a ticket or an activation secret into a message, and the server's words
are redacted (`plow_tui.logs.redact`) before anything else touches them: a
server that echoes a token must not get it on screen, and capitalising first
would turn `tok_…` into `Tok_…`, which no longer matches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


class PlowError(Exception):
    """Base of every error the client raises.

    `status` is the HTTP status (or a WebSocket close code, or None for
    network trouble), `code` the server's error code in lower case when it
    sent one, `message` one clear sentence for a human.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r})"


class NotSignedIn(PlowError):
    """The token is missing, bad or revoked (401, WS close 4401, WS handshake 403)."""


class Forbidden(PlowError):
    """The request is outside what the token may do (403)."""


class NotFound(PlowError):
    """The resource is unknown, not yours, or deleted (404; 410 via `Gone`)."""


class Gone(NotFound):
    """The resource existed and was deleted (410)."""


class ChatNotReady(PlowError):
    """A send to a chat that is not `active` yet (409 `chat_not_ready`): keep the draft."""


class Conflict(PlowError):
    """Any other 409, e.g. resending the code of an already verified member."""


class ActivationExpired(PlowError):
    """The activation was never completed in time (410 on redeem): start over."""


class RateLimited(PlowError):
    """Too many requests (429). `retry_after` is the server's `Retry-After` in seconds, if any."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 429,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class DeliveryUnknown(PlowError):
    """A send failed in a way that may still have committed (408, 424, 5xx).

    Never replay it: mark the message unknown and reconcile by backfill.
    """


class ValidationFailed(PlowError):
    """The server rejected the request's content (422)."""


class ServerUnavailable(PlowError):
    """The server failed (5xx), or has no pool line free for an activation (503)."""


class NetworkError(PlowError):
    """The server could not be reached, or did not answer in time."""


def _status_text(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _sentence(text: str) -> str:
    from plow_tui.logs import redact

    text = " ".join(redact(text).split())
    if text and text[-1] not in ".!?":
        text += "."
    return text[:1].upper() + text[1:]


def parse_error_body(body: Any, status: int) -> tuple[str | None, str]:
    """(code, message) from any error envelope of PROTOCOL §1; code lower-cased."""
    code: str | None = None
    message: str | None = None
    if isinstance(body, dict):
        error = body.get("error")
        detail = body.get("detail")
        if isinstance(error, dict):
            code = code or _text(error.get("code"))
            message = message or _text(error.get("message"))
        elif isinstance(error, str):
            message = message or error
        if isinstance(detail, dict):
            code = code or _text(detail.get("code"))
            message = message or _text(detail.get("message"))
        elif isinstance(detail, str):
            message = message or detail
        elif isinstance(detail, list):
            message = message or _validation_message(detail)
        code = code or _text(body.get("code"))
        message = message or _text(body.get("message"))
    return (code.lower() if code else None), _sentence(message or _status_text(status))


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _validation_message(items: list[Any]) -> str | None:
    # FastAPI-style: [{"loc": ["body", "name"], "msg": "...", "type": "..."}]
    parts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        msg = _text(item.get("msg")) or _text(item.get("message"))
        if not msg:
            continue
        loc = item.get("loc")
        fields = [str(p) for p in loc if p not in ("body", "query", "path")] if isinstance(loc, list) else []
        parts.append(f"{'.'.join(fields)}: {msg}" if fields else msg)
    return "; ".join(parts) or None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def error_from_status(
    status: int,
    body: Any = None,
    *,
    retry_after: str | None = None,
    is_send: bool = False,
    is_redeem: bool = False,
) -> PlowError:
    """The error for an HTTP `status` with JSON `body`.

    `is_send` marks requests that may commit on the server (a message send):
    their 408/424/5xx become `DeliveryUnknown`. `is_redeem` makes 410 mean
    `ActivationExpired` rather than a deleted resource.
    """
    code, message = parse_error_body(body, status)
    kwargs: dict[str, Any] = {"status": status, "code": code}
    if status == 401:
        return NotSignedIn(message, **kwargs)
    if status == 403:
        return Forbidden(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 410:
        return ActivationExpired(message, **kwargs) if is_redeem else Gone(message, **kwargs)
    if status == 409:
        if code == "chat_not_ready":
            return ChatNotReady(message, **kwargs)
        return Conflict(message, **kwargs)
    if status == 422:
        return ValidationFailed(message, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=parse_retry_after(retry_after), **kwargs)
    if is_send and (status in (408, 424) or status >= 500):
        return DeliveryUnknown(message, **kwargs)
    if status >= 500:
        return ServerUnavailable(message, **kwargs)
    return PlowError(message, **kwargs)


def error_from_response(
    response: httpx.Response, *, is_send: bool = False, is_redeem: bool = False
) -> PlowError:
    """The error for an httpx response that is not a success."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        body = None
    return error_from_status(
        response.status_code,
        body,
        retry_after=response.headers.get("Retry-After"),
        is_send=is_send,
        is_redeem=is_redeem,
    )
