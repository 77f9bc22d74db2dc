"""Reading requests and writing error answers the way the sandbox promises (PROTOCOL.md §1)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from plow_tui.sandbox.world import WorldError

Endpoint = Callable[[Request], Awaitable[Response]]


def error_response(exc: WorldError) -> JSONResponse:
    detail: Any = {"code": exc.code, "message": exc.message} if exc.code else exc.message
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if exc.status in (429, 503):
        headers = {"Retry-After": "1"}
    return JSONResponse({"detail": detail}, status_code=exc.status, headers=headers)


def answers_errors(endpoint: Endpoint) -> Endpoint:
    """Turn a WorldError raised by an endpoint into its JSON error answer."""

    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except WorldError as exc:
            return error_response(exc)

    wrapped.__name__ = endpoint.__name__
    wrapped.__doc__ = endpoint.__doc__
    return wrapped


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body counts as `{}`. 422 for anything else."""
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers bad UTF-8 and bad JSON; RecursionError absurd nesting.
        raise WorldError(422, "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise WorldError(422, "The body must be a JSON object.")
    return data


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def optional_str(data: dict[str, Any], key: str, *, max_len: int = 255) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise WorldError(422, f"{key} must be a string.")
    if len(value) > max_len:
        raise WorldError(422, f"{key} must be at most {max_len} characters.")
    return value


def required_str(data: dict[str, Any], key: str, *, max_len: int = 255, allow_empty: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise WorldError(422, f"{key} is required and must be a string.")
    if not allow_empty and not value.strip():
        raise WorldError(422, f"{key} must not be empty.")
    if len(value) > max_len:
        raise WorldError(422, f"{key} must be at most {max_len} characters.")
    return value


def optional_bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise WorldError(422, f"{key} must be true or false.")
    return value


def optional_int(data: dict[str, Any], key: str, *, low: int, high: int) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    # bool is an int in Python; JSON true is not a number.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise WorldError(422, f"{key} must be an integer from {low} to {high}.")
    return value
