"""`plow-tui doctor`: check the API, the secret store, the token, the live connection and the history.

One line per check (`ok`, `warn`, `FAIL`); the exit code is the first
failure's. The socket is checked by `ChatStream.check_connection`, the live
stream's own handshake.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from plow_tui.commands import ExitCode
from plow_tui.commands.signed_in import api_url, refused_token_hint, token_store
from plow_tui.terminal_text import error_text, safe_line

if TYPE_CHECKING:
    from plow_tui.client.http import PlowClient


# The seed's eight endpoints; path parameter names vary between servers.
SEED_ENDPOINTS = (
    ("POST", "/v1/auth/activate"),
    ("POST", "/v1/auth/activate/redeem"),
    ("GET", "/v1/lines"),
    ("GET", "/v1/chats"),
    ("POST", "/v1/chats"),
    ("GET", "/v1/chats/{}"),
    ("POST", "/v1/chats/{}/messages"),
    ("POST", "/v1/ws/ticket"),
)


def missing_endpoints(spec: dict[str, Any]) -> list[str]:
    import re

    have = set()
    paths = spec.get("paths")
    for path, operations in (paths.items() if isinstance(paths, dict) else []):
        shape = re.sub(r"\{[^}]*\}", "{}", path)
        if isinstance(operations, dict):
            have.update((method.upper(), shape) for method in operations)
    return [f"{method} {path}" for method, path in SEED_ENDPOINTS if (method, path) not in have]


async def doctor(args: argparse.Namespace) -> int:
    from plow_tui.client.errors import NetworkError, NotSignedIn, PlowError
    from plow_tui.client.http import PlowClient

    from plow_tui.client.urls import plain_http_warning

    url = api_url(args, warn=False)
    verdicts: list[int] = []

    def verdict(ok: bool | None, what: str, detail: str, failure: int = ExitCode.ERROR) -> None:
        mark = {True: "ok  ", False: "FAIL", None: "warn"}[ok]
        print(f"{mark}  {what}: {safe_line(detail)}", flush=True)
        if ok is False:
            verdicts.append(failure)

    insecure = plain_http_warning(url)
    if insecure:
        verdict(None, "encryption", insecure)
    store = token_store(args)
    async with PlowClient(url, max_retries=1) as api:
        try:
            spec = await api.openapi()
            verdict(True, "API", f"{url} answers")
            missing = missing_endpoints(spec)
            verdict(not missing, "OpenAPI", "all 8 seed endpoints listed" if not missing else "missing " + ", ".join(missing))
        except NetworkError as error:
            verdict(False, "API", error_text(error), ExitCode.NETWORK)
        except PlowError as error:
            verdict(True, "API", f"{url} answers")
            verdict(False, "OpenAPI", f"/openapi.json: {error_text(error)}")
        # A file store works, but deserves a warning: it is only as safe as the disk.
        private = store.env_token is not None or store.location.startswith("system keyring")
        verdict(True if private else None, "secret store", store.location)
        token = await store.get_token(url)
        if not token:
            verdict(False, "token", "none stored: run `plow-tui activate`", ExitCode.NOT_SIGNED_IN)
            verdict(None, "WebSocket", "not checked without a token")
        else:
            api.token = token
            try:
                count = len(await api.chats())
                verdict(True, "token", f"valid ({count} chat{'s' if count != 1 else ''})")
                verdict(*await _check_websocket(api))
            except NotSignedIn:
                verdict(False, "token", f"rejected by the server. {refused_token_hint(args)}", ExitCode.NOT_SIGNED_IN)
                verdict(None, "WebSocket", "not checked without a valid token")
            except PlowError as error:
                verdict(False, "token", f"could not check ({error_text(error)})", ExitCode.NETWORK)
    from plow_tui.commands.search import search_check

    verdict(*search_check())  # the local history: works offline, so checked whatever the server said
    return verdicts[0] if verdicts else ExitCode.OK


async def _check_websocket(api: PlowClient) -> tuple[bool, str, str, int]:
    """Open a socket with an every-chat ticket and wait for `connected`, as the live stream does."""
    from plow_tui.client.errors import PlowError
    from plow_tui.client.stream import ChatStream

    try:
        failure = await ChatStream(api, None, ping_interval=None).check_connection()
    except PlowError as error:
        return False, "WebSocket", f"no ticket ({error_text(error)})", ExitCode.NETWORK
    if failure is None:
        return True, "WebSocket", "connected", ExitCode.OK
    return False, "WebSocket", failure, ExitCode.NETWORK
