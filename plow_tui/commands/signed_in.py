"""How a Plow command runs: the API URL, the token store, a signed-in client, errors as exit codes.

Shared by every command that talks to a Plow server (`plow.py`, `activate.py`,
`doctor.py`, `chat.py`). Heavy imports (httpx, keyring) happen inside the
functions, so `plow-tui --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from plow_tui.commands import ExitCode
from plow_tui.commands.running import Command, Explanation, UsageError, run_command

if TYPE_CHECKING:
    from plow_tui.client.http import PlowClient
    from plow_tui.client.tokens import TokenStore


def run(command: Command, args: argparse.Namespace) -> int:
    """Run an async command; turn every failure into one sentence and an exit code."""
    return run_command(command, args, explain)


def refused_token_hint(args: argparse.Namespace) -> str:
    """What to do about a refused token: `activate` cannot help while PLOW_TOKEN is set (it wins)."""
    import os

    from plow_tui.client.tokens import ENV_TOKEN

    env = getattr(args, "env", None)
    if (os.environ if env is None else env).get(ENV_TOKEN, "").strip():
        return f"The token in {ENV_TOKEN} was refused: unset {ENV_TOKEN} (or set a valid token), then run `plow-tui activate`."
    return "Run `plow-tui activate` to sign in."


def explain(error: Exception, args: argparse.Namespace) -> Explanation | None:
    """The Plow client's errors as an exit code and what the user can do about them."""
    from plow_tui.client.errors import (
        ChatNotReady,
        DeliveryUnknown,
        NetworkError,
        NotFound,
        NotSignedIn,
        PlowError,
        RateLimited,
        ServerUnavailable,
    )

    if isinstance(error, NotSignedIn):
        return ExitCode.NOT_SIGNED_IN, refused_token_hint(args)
    if isinstance(error, NotFound):
        return ExitCode.NOT_FOUND, ""
    if isinstance(error, DeliveryUnknown):
        said = "may have been sent" in error.message  # the client's own words say it already
        return ExitCode.MAYBE_SENT, ("C" if said else "It may have been sent: c") + "heck with `plow-tui history` before resending."
    if isinstance(error, ChatNotReady):
        return ExitCode.ERROR, "Every member must verify first."
    if isinstance(error, (NetworkError, ServerUnavailable, RateLimited)):
        return ExitCode.NETWORK, ""
    if isinstance(error, PlowError):
        return ExitCode.ERROR, ""
    return None


def api_url(args: argparse.Namespace, *, warn: bool = True) -> str:
    from plow_tui.client.urls import normalize_base_url, plain_http_warning

    try:
        url = normalize_base_url(args.api_url)
    except ValueError as error:
        raise UsageError(str(error)) from None
    warning = plain_http_warning(url)
    if warn and warning:
        print(f"plow-tui: warning: {warning}", file=sys.stderr, flush=True)
    return url


def token_store(args: argparse.Namespace) -> TokenStore:
    from plow_tui.client.tokens import TokenStore

    return TokenStore.default(force_file=args.insecure_storage, env=getattr(args, "env", None), notice=_notice)


def _notice(text: str) -> None:
    # Something the secret store did on its own (a damaged file moved aside, permissions fixed).
    print(f"plow-tui: {text}", file=sys.stderr, flush=True)


async def signed_in(args: argparse.Namespace) -> tuple[PlowClient, TokenStore, str]:
    """A client with the stored token, or NotSignedIn."""
    from plow_tui.client.errors import NotSignedIn
    from plow_tui.client.http import PlowClient

    url = api_url(args)
    store = token_store(args)
    token = await store.get_token(url)
    if not token:
        raise NotSignedIn(f"Not signed in to {url}.", status=401)
    return PlowClient(url, token), store, url


async def forget_rejected_token(store: TokenStore, url: str) -> None:
    # The server refused it for good (PROTOCOL §1: 401 → drop the stored token).
    if store.env_token is None:
        await store.forget_token(url)


async def with_client(args: argparse.Namespace, body: Callable[[PlowClient], Awaitable[int]]) -> int:
    from plow_tui.client.errors import NotSignedIn

    api, store, url = await signed_in(args)
    try:
        async with api:
            return await body(api)
    except NotSignedIn:
        await forget_rejected_token(store, url)
        raise
