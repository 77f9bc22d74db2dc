"""Error envelopes of PROTOCOL §1 map to the error classes callers act on."""

from __future__ import annotations

import httpx
import pytest

from plow_tui.client.errors import (
    ActivationExpired,
    ChatNotReady,
    Conflict,
    DeliveryUnknown,
    Forbidden,
    Gone,
    NotFound,
    NotSignedIn,
    PlowError,
    RateLimited,
    ServerUnavailable,
    ValidationFailed,
    error_from_response,
    error_from_status,
    parse_error_body,
)


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"detail": "Chat not found"}, None, "Chat not found."),
        ({"detail": {"code": "CHAT_NOT_READY", "message": "Chat is pending."}}, "chat_not_ready", "Chat is pending."),
        ({"error": {"code": "chat_not_ready", "message": "not yet"}}, "chat_not_ready", "Not yet."),
        ({"code": "Weird", "message": "top level"}, "weird", "Top level."),
        (
            {"detail": [{"loc": ["body", "participants"], "msg": "field required", "type": "missing"}]},
            None,
            "Participants: field required.",
        ),
        ({}, None, "Conflict."),
        (None, None, "Conflict."),
        ("just text", None, "Conflict."),
        ({"detail": None, "error": None}, None, "Conflict."),
    ],
)
def test_every_envelope_gives_code_and_message(body: object, code: str | None, message: str) -> None:
    assert parse_error_body(body, 409) == (code, message)


@pytest.mark.parametrize(
    ("status", "body", "kwargs", "cls"),
    [
        (401, {"detail": "bad token"}, {}, NotSignedIn),
        (403, {}, {}, Forbidden),
        (404, {}, {}, NotFound),
        (410, {}, {}, Gone),
        (410, {}, {"is_redeem": True}, ActivationExpired),
        (409, {"detail": {"code": "Chat_Not_Ready", "message": "m"}}, {}, ChatNotReady),
        (409, {"detail": {"code": "already_verified", "message": "m"}}, {}, Conflict),
        (422, {}, {}, ValidationFailed),
        (429, {}, {}, RateLimited),
        (500, {}, {}, ServerUnavailable),
        (503, {"detail": "No pool line is free"}, {}, ServerUnavailable),
        (503, {}, {"is_send": True}, DeliveryUnknown),
        (408, {}, {"is_send": True}, DeliveryUnknown),
        (424, {}, {"is_send": True}, DeliveryUnknown),
        (418, {}, {}, PlowError),
    ],
)
def test_status_maps_to_class(status: int, body: object, kwargs: dict, cls: type) -> None:
    error = error_from_status(status, body, **kwargs)
    assert type(error) is cls
    assert error.status == status
    assert str(error).endswith(".")


def test_gone_is_a_not_found() -> None:
    assert isinstance(error_from_status(410, {}), NotFound)


def test_retry_after_seconds_and_date() -> None:
    response = httpx.Response(429, json={"detail": "slow down"}, headers={"Retry-After": "7"})
    error = error_from_response(response)
    assert isinstance(error, RateLimited) and error.retry_after == 7.0
    dated = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert error_from_response(dated).retry_after == 0.0  # a date in the past: retry now
    garbage = httpx.Response(429, headers={"Retry-After": "soon"})
    assert error_from_response(garbage).retry_after is None


def test_non_json_body_uses_status_text() -> None:
    error = error_from_response(httpx.Response(502, content=b"<html>bad gateway</html>"))
    assert isinstance(error, ServerUnavailable)
    assert str(error) == "Bad Gateway."


def test_repr_names_class_and_status() -> None:
    assert repr(error_from_status(404, {"detail": "nope"})) == "NotFound(status=404, code=None, message='Nope.')"


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00Z"]
)
def test_times_at_the_ends_of_the_calendar_are_unknown_not_a_crash(value: str) -> None:
    from plow_tui.client.models import ChatMessage, parse_time

    assert parse_time(value) is None
    assert ChatMessage.from_json({"uid": "m", "created_at": value}).created_at is None


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://api.example.com", True),
        ("http://10.0.0.5:8765", True),
        ("https://api.example.com", False),
        ("http://127.0.0.1:8765", False),
        ("http://localhost:8765", False),
        ("http://[::1]:8765", False),
    ],
)
def test_plain_http_off_loopback_is_warned_about(url: str, warned: bool) -> None:
    from plow_tui.client.urls import plain_http_warning

    assert (plain_http_warning(url) is not None) is warned
