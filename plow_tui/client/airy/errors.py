"""Errors of the Airy Chat Plugin API, one small class per thing a caller acts on.

None of them carries a token: messages are built from the status code and
the server's `message` field only.
"""

from __future__ import annotations


class AiryError(Exception):
    """Any failure talking to an Airy instance."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AiryBadRequest(AiryError):
    """400: the request was malformed (no channel id, not a UUID, empty message…)."""


class AiryUnauthorized(AiryError):
    """401: the auth or resume token is unknown or expired."""


class AiryChannelNotFound(AiryError):
    """404: the channel is unknown, or no longer connected."""


class AiryNetworkError(AiryError):
    """The instance could not be reached, timed out, or answered 5xx."""


class AiryProtocolError(AiryError):
    """The instance answered something this client cannot read."""
