"""Scriptable Plow subcommands: activate, chats, lines, send, history, tail, logout, doctor.

Output is for people by default and for scripts with `--json`. Errors are one
sentence on stderr and an `ExitCode`, never a traceback, never a secret. Heavy
imports (httpx, websockets, keyring) happen inside the commands, so
`plow-tui --help` stays fast.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from plow_tui.commands import ExitCode, options
from plow_tui.commands.naming import resolve_chat
from plow_tui.commands.output import GREEN, RED, YELLOW, table
from plow_tui.commands.running import Command, Explanation, UsageError, non_negative_int, run_command
from plow_tui.terminal_text import error_text, safe_json, safe_line

if TYPE_CHECKING:
    from plow_tui.client.http import PlowClient
    from plow_tui.client.models import Chat, Line, ChatMessage
    from plow_tui.client.tokens import TokenStore

CHAT_HELP = "the chat: its uid, the start of its uid, its title or its number"

# Live clients split long texts themselves (PROTOCOL §5).
MAX_BODY_CHARS = 4000

def register(subparsers: Any) -> None:
    def add(name: str, command: Command, help_text: str, *more: str) -> argparse.ArgumentParser:
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
        options.add(parser, *options.PLOW, *more)
        parser.set_defaults(func=lambda args: run(command, args))
        return parser

    p = add("activate", activate, "Sign in by sending one text from your phone.", "name", "provision_chat")
    p.add_argument("--interval", dest="poll_interval", type=float, default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    p = add("chats", chats, "List your chats.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--all", action="store_true", help="say what is not listed: the server never lists failed chats")

    p = add("lines", lines, "List the lines (numbers) you can text through.")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("send", send, "Send a text to a chat.")
    p.add_argument("chat", metavar="CHAT", help=CHAT_HELP)
    p.add_argument("text", metavar="TEXT", help="the message, or - to read it from stdin")
    p.add_argument("--json", action="store_true", help='print {"chat_uid": …, "messages": [the texts sent]}')
    p.add_argument("--no-split", action="store_true", help=f"refuse a text over {MAX_BODY_CHARS} characters instead of sending it as several")

    p = add("history", history, "Print a chat's messages, oldest first.")
    p.add_argument("chat", metavar="CHAT", help=CHAT_HELP)
    p.add_argument("--limit", type=_positive_int, default=50, help="how many recent messages (default 50)")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = add("tail", tail, "Print a chat's new messages as they arrive, until Ctrl+C.")
    p.add_argument("chat", metavar="CHAT", help=CHAT_HELP)
    p.add_argument("-n", "--lines", type=non_negative_int, default=0, help="first print the last N messages")
    p.add_argument(
        "--json",
        action="store_true",
        help='one JSON event per line: {"type": "message"|"status", "message": {…}}, '
        '{"type": "member_verified", …}, {"type": "chat_active"|"chat_failed", …}',
    )

    p = add("logout", logout, "Forget the stored token (and any pending activation).")
    p.add_argument("--forget", action="store_true", help="also delete this account's local message history")
    add("doctor", doctor, "Check the API, the secret store, the token and the live connection.")


def _positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


# -- running a command ---------------------------------------------------------------


def run(command: Command, args: argparse.Namespace) -> int:
    """Run an async command; turn every failure into one sentence and an exit code."""
    return run_command(command, args, _explain)


def _refused_token_hint(args: argparse.Namespace) -> str:
    """What to do about a refused token: `activate` cannot help while PLOW_TOKEN is set (it wins)."""
    import os

    from plow_tui.client.tokens import ENV_TOKEN

    env = getattr(args, "env", None)
    if (os.environ if env is None else env).get(ENV_TOKEN, "").strip():
        return f"The token in {ENV_TOKEN} was refused: unset {ENV_TOKEN} (or set a valid token), then run `plow-tui activate`."
    return "Run `plow-tui activate` to sign in."


def _explain(error: Exception, args: argparse.Namespace) -> Explanation | None:
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
        return ExitCode.NOT_SIGNED_IN, _refused_token_hint(args)
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


def _api_url(args: argparse.Namespace, *, warn: bool = True) -> str:
    from plow_tui.client.urls import normalize_base_url, plain_http_warning

    try:
        url = normalize_base_url(args.api_url)
    except ValueError as error:
        raise UsageError(str(error)) from None
    warning = plain_http_warning(url)
    if warn and warning:
        print(f"plow-tui: warning: {warning}", file=sys.stderr, flush=True)
    return url


def _store(args: argparse.Namespace) -> TokenStore:
    from plow_tui.client.tokens import TokenStore

    return TokenStore.default(force_file=args.insecure_storage, env=getattr(args, "env", None), notice=_notice)


def _notice(text: str) -> None:
    # Something the secret store did on its own (a damaged file moved aside, permissions fixed).
    print(f"plow-tui: {text}", file=sys.stderr, flush=True)


async def _signed_in(args: argparse.Namespace) -> tuple[PlowClient, TokenStore, str]:
    """A client with the stored token, or NotSignedIn."""
    from plow_tui.client.errors import NotSignedIn
    from plow_tui.client.http import PlowClient

    url = _api_url(args)
    store = _store(args)
    token = await store.get_token(url)
    if not token:
        raise NotSignedIn(f"Not signed in to {url}.", status=401)
    return PlowClient(url, token), store, url


async def _forget_rejected_token(store: TokenStore, url: str) -> None:
    # The server refused it for good (PROTOCOL §1: 401 → drop the stored token).
    if store.env_token is None:
        await store.forget_token(url)


async def _with_client(args: argparse.Namespace, body: Callable[[PlowClient], Awaitable[int]]) -> int:
    from plow_tui.client.errors import NotSignedIn

    api, store, url = await _signed_in(args)
    try:
        async with api:
            return await body(api)
    except NotSignedIn:
        await _forget_rejected_token(store, url)
        raise


# -- output helpers -----------------------------------------------------------------


def iso_utc(value: datetime | None) -> str | None:
    """A time as JSON output gives it: UTC, ISO 8601 with `Z` (None stays None)."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def message_json(message: ChatMessage) -> dict[str, Any]:
    sender = message.sender
    return {
        "uid": message.uid,
        "chat_uid": message.chat_uid,
        "direction": message.direction,
        "body": message.body,
        "status": message.status,
        "sender": {
            "type": sender.type,
            "uid": sender.uid,
            "display_name": sender.display_name,
            "provider_key": sender.provider_key,
        },
        "created_at": iso_utc(message.created_at),
    }


def message_line(message: ChatMessage) -> str:
    when = message.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if message.created_at else "????-??-?? ??:??"
    if message.is_outbound:
        who = "you"
    else:
        who = message.sender.display_name or message.sender.provider_key or "someone"
    status = f"  [{safe_line(message.status)}]" if message.is_outbound and message.status else ""
    return f"{when}  {safe_line(who)}: {safe_line(message.body, line_break=' ↵ ')}{status}"


def chat_json(chat: Chat) -> dict[str, Any]:
    return {
        "uid": chat.uid,
        "status": chat.status,
        "title": chat.title,
        "display_name": chat.display_name,
        "number": chat.number,
        "line_uid": chat.line_uid,
        "failure_reason": chat.failure_reason,
        "members": [
            {"uid": m.uid, "display_name": m.display_name, "status": m.status, "role": m.role, "phone": m.provider_key}
            for m in chat.members
        ],
        "created_at": iso_utc(chat.created_at),
    }


def line_json(line: Line) -> dict[str, Any]:
    return {
        "uid": line.uid,
        "provider_type": line.provider_type,
        "provider_key": line.provider_key,
        "display_name": line.display_name,
    }


def _print_json(value: Any) -> None:
    print(safe_json(value, indent=2))


# `chats` on a terminal: a status's colour.
STATUS_COLOURS = {"active": GREEN, "pending": YELLOW, "failed": RED}


# -- activate -------------------------------------------------------------------------


async def activate(args: argparse.Namespace) -> int:
    from plow_tui.client.activation import (
        AlreadyRedeemed,
        Expired,
        Pending,
        PollFailed,
        Verified,
        poll_activation,
        start_activation,
    )
    from plow_tui.client.http import PlowClient

    url = _api_url(args)
    store = _store(args)
    async with PlowClient(url) as api:
        pending = await store.get_pending(url)
        resumed = pending is not None and not pending.is_expired()
        if pending is not None and not resumed:
            await store.clear_pending(url)
        # A resumed activation may turn out stale (the live server sometimes
        # answers 410 at once): then start over right away, once.
        for _ in range(2):
            if not resumed:
                pending = await start_activation(api, args.name, provision_chat=args.provision_chat)
                await store.save_pending(url, pending)
            assert pending is not None
            _show_instructions(pending, resumed)
            waiting_said = False
            async for outcome in poll_activation(api, pending, interval=args.poll_interval):
                if isinstance(outcome, Pending) and not waiting_said:
                    print("Waiting for your text… (Ctrl+C stops; `plow-tui activate` resumes.)", flush=True)
                    waiting_said = True
                elif isinstance(outcome, PollFailed):
                    print(
                        f"Could not check ({error_text(outcome.error)}); trying again in {outcome.retry_in:.0f} s.",
                        file=sys.stderr,
                        flush=True,
                    )
                elif isinstance(outcome, Verified):
                    await store.save_token(url, outcome.token)
                    await store.clear_pending(url)
                    print(f"Signed in. The token is kept in {store.location}.")
                    if outcome.chat is not None:
                        chat = outcome.chat
                        print(
                            f"Your chat: {safe_line(chat.title)} — text {safe_line(chat.number or '?')}"
                            f" (chat {safe_line(chat.uid)})."
                        )
                    return ExitCode.OK
                elif isinstance(outcome, AlreadyRedeemed):
                    await store.clear_pending(url)
                    print(
                        "plow-tui: that activation was already redeemed by another client. "
                        "Run `plow-tui activate` again to sign in here.",
                        file=sys.stderr,
                    )
                    return ExitCode.NOT_SIGNED_IN
                elif isinstance(outcome, Expired):
                    await store.clear_pending(url)
                    if resumed and not waiting_said:
                        print("The saved activation is no longer valid; starting a new one.", file=sys.stderr)
                        resumed = False
                        break
                    print(
                        "plow-tui: the code expired before your text arrived. "
                        "Run `plow-tui activate` again for a new one.",
                        file=sys.stderr,
                    )
                    return ExitCode.NOT_SIGNED_IN
    return ExitCode.NOT_SIGNED_IN


def sms_uri(number: str, body: str) -> str:
    """An `sms:` link with the body filled in; `?&body=` is read by both iOS and Android."""
    from urllib.parse import quote

    return f"sms:{number}?&body={quote(body)}"


def _show_instructions(pending: Any, resumed: bool) -> None:
    expires = pending.expires_at.astimezone().strftime("%H:%M")
    if resumed:
        print("Resuming the activation you started earlier.")
    print(f"From your phone, text exactly:  {safe_line(pending.text)}")
    print(f"To:                             {safe_line(pending.send_to)}")
    print(f"The code is good until {expires}.")
    if sys.stdout.isatty():
        import segno

        print("Or scan this with your phone's camera to open the message ready to send:")
        segno.make(sms_uri(pending.send_to, pending.text), error="m").terminal(compact=True)
    sys.stdout.flush()


# -- reads ----------------------------------------------------------------------------


async def chats(args: argparse.Namespace) -> int:
    async def body(api: PlowClient) -> int:
        found = await api.chats()
        if args.json:
            _print_json([chat_json(chat) for chat in found])
        elif not found and sys.stdout.isatty():
            print("No chats yet.")
        else:
            table(
                ["CHAT", "STATUS", "NUMBER", "TITLE"],
                [[safe_line(c.uid), safe_line(c.status or "?"), safe_line(c.number or "-"), safe_line(c.title)] for c in found],
                styles=[{}, STATUS_COLOURS],
                env=getattr(args, "env", None),
            )
        if args.all:
            print(
                "plow-tui: the server lists pending and active chats only; failed and deleted chats are not "
                "listed (PROTOCOL §4). `plow-tui chat show CHAT_UID` reads a failed chat by its uid.",
                file=sys.stderr,
            )
        return ExitCode.OK

    return await _with_client(args, body)


async def lines(args: argparse.Namespace) -> int:
    async def body(api: PlowClient) -> int:
        found = await api.lines()
        if args.json:
            _print_json([line_json(line) for line in found])
        elif not found and sys.stdout.isatty():
            print("No lines.")
        else:
            table(
                ["LINE", "TYPE", "NUMBER", "NAME"],
                [
                    [safe_line(ln.uid), safe_line(ln.provider_type or "?"), safe_line(ln.provider_key or "-"), safe_line(ln.display_name or "")]
                    for ln in found
                ],
                env=getattr(args, "env", None),
            )
        return ExitCode.OK

    return await _with_client(args, body)


async def history(args: argparse.Namespace) -> int:
    async def body(api: PlowClient) -> int:
        chat_uid = await resolve_chat(api, args.chat)
        newest_first: list[ChatMessage] = []
        async for message in api.history(chat_uid, page_size=min(args.limit, 100)):
            newest_first.append(message)
            if len(newest_first) >= args.limit:
                break
        oldest_first = newest_first[::-1]
        if args.json:
            _print_json([message_json(m) for m in oldest_first])
        else:
            for message in oldest_first:
                print(message_line(message))
        return ExitCode.OK

    return await _with_client(args, body)


# -- send -----------------------------------------------------------------------------


def split_body(text: str, limit: int = MAX_BODY_CHARS) -> list[str]:
    """Cut at `limit` characters, preferring the last newline or space before it."""
    parts = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return [p for p in parts if p]


async def send(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    if args.text == "-":
        text = text.rstrip("\n")
    if not text.strip():
        raise UsageError("The message is empty.")

    parts = split_body(text)
    if len(parts) > 1 and args.no_split:
        raise UsageError(f"The text is {len(text)} characters, over {MAX_BODY_CHARS}; not sent (--no-split).")

    async def body(api: PlowClient) -> int:
        chat_uid = await resolve_chat(api, args.chat)
        if len(parts) > 1:
            print(f"plow-tui: the text is {len(text)} characters: it goes as {len(parts)} texts.", file=sys.stderr, flush=True)
        sent = []
        for part in parts:
            message = await api.send_message(chat_uid, part)
            sent.append(message)
            if not args.json:
                print(f"Sent {safe_line(message.uid)} ({safe_line(message.status or 'accepted')}).", flush=True)
        if args.json:
            # One shape however many texts it took (a script need not check).
            _print_json({"chat_uid": chat_uid, "messages": [message_json(m) for m in sent]})
        return ExitCode.OK

    return await _with_client(args, body)


# -- tail -----------------------------------------------------------------------------


async def tail(args: argparse.Namespace) -> int:
    from contextlib import aclosing

    from plow_tui.client.events import (
        ChatActivated,
        ChatFailed,
        ConnectionChanged,
        MessagesArrived,
        MessagesSkipped,
        MessageStatusChanged,
        ParticipantVerified,
    )
    from plow_tui.client.stream import NO_MESSAGES, ChatStream

    def emit(message: ChatMessage) -> None:
        if args.json:
            print(safe_json({"type": "message", "message": message_json(message)}), flush=True)
        else:
            print(message_line(message), flush=True)

    def emit_change(event: object) -> None:
        """A change to what was printed: a delivery status, a member verified, the chat active or failed."""
        if isinstance(event, MessageStatusChanged):
            m = event.message
            record = {"type": "status", "message": message_json(m)}
            text = f"* {safe_line(m.uid)} is now {safe_line(m.status or '?')}: {safe_line(m.body[:40])}"
        elif isinstance(event, ParticipantVerified):
            member = event.member
            record = {"type": "member_verified", "chat_uid": event.chat_uid, "member": {"uid": member.uid, "display_name": member.display_name}}
            text = f"* {safe_line(member.display_name or member.uid)} verified"
        elif isinstance(event, ChatActivated):
            record = {"type": "chat_active", "chat": chat_json(event.chat)}
            text = "* the chat is active"
        elif isinstance(event, ChatFailed):
            record = {"type": "chat_failed", "chat_uid": event.chat_uid, "reason": event.reason}
            text = f"* the chat failed: {safe_line(event.reason or 'no reason given')}"
        else:
            return
        print(safe_json(record) if args.json else text, flush=True)

    async def body(api: PlowClient) -> int:
        # The newest message anchors the stream: anything after it is new, even
        # if it arrives before the socket is up.
        chat_uid = await resolve_chat(api, args.chat)
        recent: list[ChatMessage] = []
        async for message in api.history(chat_uid, page_size=min(max(1, args.lines), 100)):
            recent.append(message)
            if len(recent) >= max(1, args.lines):
                break
        for message in reversed(recent[: args.lines]):
            emit(message)
        stream = ChatStream(api, chat_uid, last_uid=recent[0].uid if recent else NO_MESSAGES)
        for message in recent:
            stream.mark_seen(message)  # printed already, whatever the server's history says later
        chatty = sys.stderr.isatty()
        async with aclosing(stream.events()) as events:
            async for event in events:
                if isinstance(event, MessagesArrived):
                    for message in event.messages:
                        emit(message)
                elif isinstance(event, MessagesSkipped):
                    print("[older messages were skipped; continuing from the newest]", file=sys.stderr, flush=True)
                elif isinstance(event, (MessageStatusChanged, ParticipantVerified, ChatActivated, ChatFailed)):
                    emit_change(event)
                elif isinstance(event, ConnectionChanged) and chatty and event.state in ("reconnecting", "offline"):
                    wait = f"; retrying in {event.retry_in:.0f} s" if event.retry_in is not None else ""
                    print(f"[{event.state}: {error_text(event.reason)}{wait}]", file=sys.stderr, flush=True)
        return ExitCode.OK

    return await _with_client(args, body)


# -- logout ---------------------------------------------------------------------------


async def logout(args: argparse.Namespace) -> int:
    from plow_tui.commands.search import forget_history, history_note

    url = _api_url(args)
    store = _store(args)
    secret = await store.get_secret(url)
    had_token = secret is not None
    await store.forget_token(url)
    await store.clear_pending(url)
    if had_token:
        print(f"Signed out of {url}: the token was removed.")
    else:
        print(f"No stored token for {url}.")
    # The history belongs to the account, found through the token (read before it went).
    note = await (forget_history if args.forget else history_note)(args, store.env_token or secret)
    if note:
        print(note)
    if store.env_token:
        print("Note: PLOW_TOKEN is still set in your environment and will keep being used.")
    return ExitCode.OK


# -- doctor ---------------------------------------------------------------------------

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

    url = _api_url(args, warn=False)
    verdicts: list[int] = []

    def verdict(ok: bool | None, what: str, detail: str, failure: int = ExitCode.ERROR) -> None:
        mark = {True: "ok  ", False: "FAIL", None: "warn"}[ok]
        print(f"{mark}  {what}: {safe_line(detail)}", flush=True)
        if ok is False:
            verdicts.append(failure)

    insecure = plain_http_warning(url)
    if insecure:
        verdict(None, "encryption", insecure)
    store = _store(args)
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
                verdict(False, "token", f"rejected by the server. {_refused_token_hint(args)}", ExitCode.NOT_SIGNED_IN)
                verdict(None, "WebSocket", "not checked without a valid token")
            except PlowError as error:
                verdict(False, "token", f"could not check ({error_text(error)})", ExitCode.NETWORK)
    from plow_tui.commands.search import search_check

    verdict(*search_check())  # the local history: works offline, so checked whatever the server said
    return verdicts[0] if verdicts else ExitCode.OK


async def _check_websocket(api: PlowClient) -> tuple[bool, str, str, int]:
    """Open a socket with an every-chat ticket and wait for `connected`."""
    from websockets.exceptions import InvalidStatus, WebSocketException

    from plow_tui.client.errors import PlowError
    from plow_tui.client.websocket import CrossOriginRedirect, connect_same_origin

    try:
        ticket = await api.ws_ticket(None)
    except PlowError as error:
        return False, "WebSocket", f"no ticket ({error_text(error)})", ExitCode.NETWORK
    try:
        async with connect_same_origin(api.ws_url(ticket), open_timeout=10, ping_interval=None) as ws:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
    except CrossOriginRedirect as error:
        return False, "WebSocket", str(error), ExitCode.NETWORK
    except InvalidStatus as error:
        return False, "WebSocket", f"handshake refused ({error.response.status_code})", ExitCode.NETWORK
    except (OSError, TimeoutError, EOFError, WebSocketException, ValueError, RecursionError) as error:
        return False, "WebSocket", f"failed ({type(error).__name__})", ExitCode.NETWORK
    if isinstance(frame, dict) and frame.get("type") == "connected":
        return True, "WebSocket", "connected", ExitCode.OK
    return False, "WebSocket", "no `connected` frame", ExitCode.NETWORK
