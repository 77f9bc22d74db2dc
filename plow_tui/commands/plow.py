"""Scriptable Plow subcommands: their arguments, and chats, lines, send, history, tail, logout.

`activate` and `doctor` have modules of their own; how a command runs and
what its errors mean is `signed_in.py`, the printed shapes `formats.py`. Output is for people by default and for scripts with `--json`. Errors are one
sentence on stderr and an `ExitCode`, never a traceback, never a secret. Heavy
imports (httpx, websockets, keyring) happen inside the commands, so
`plow-tui --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from plow_tui.client.texts import MAX_BODY, split_body
from plow_tui.commands import ExitCode, options
from plow_tui.commands.activate import activate
from plow_tui.commands.doctor import doctor
from plow_tui.commands.formats import STATUS_COLOURS, chat_json, line_json, message_json, message_line, print_json
from plow_tui.commands.naming import CHAT_HELP, resolve_chat
from plow_tui.commands.output import connection_note, table
from plow_tui.commands.running import Command, UsageError, non_negative_int
from plow_tui.commands.signed_in import api_url, run, token_store, with_client
from plow_tui.terminal_text import safe_json, safe_line

if TYPE_CHECKING:
    from plow_tui.client.http import PlowClient
    from plow_tui.client.models import ChatMessage

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
    p.add_argument("--no-split", action="store_true", help=f"refuse a text over {MAX_BODY} characters instead of sending it as several")

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


# -- reads ----------------------------------------------------------------------------


async def chats(args: argparse.Namespace) -> int:
    async def body(api: PlowClient) -> int:
        found = await api.chats()
        if args.json:
            print_json([chat_json(chat) for chat in found])
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

    return await with_client(args, body)


async def lines(args: argparse.Namespace) -> int:
    async def body(api: PlowClient) -> int:
        found = await api.lines()
        if args.json:
            print_json([line_json(line) for line in found])
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

    return await with_client(args, body)


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
            print_json([message_json(m) for m in oldest_first])
        else:
            for message in oldest_first:
                print(message_line(message))
        return ExitCode.OK

    return await with_client(args, body)


# -- send -----------------------------------------------------------------------------


async def send(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    if args.text == "-":
        text = text.rstrip("\n")
    if not text.strip():
        raise UsageError("The message is empty.")

    parts = split_body(text)
    if len(parts) > 1 and args.no_split:
        raise UsageError(f"The text is {len(text)} characters, over {MAX_BODY}; not sent (--no-split).")

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
            print_json({"chat_uid": chat_uid, "messages": [message_json(m) for m in sent]})
        return ExitCode.OK

    return await with_client(args, body)


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
                elif isinstance(event, ConnectionChanged) and chatty:
                    note = connection_note(event.state, event.reason, event.retry_in)
                    if note is not None:
                        print(note, file=sys.stderr, flush=True)
        return ExitCode.OK

    return await with_client(args, body)


# -- logout ---------------------------------------------------------------------------


async def logout(args: argparse.Namespace) -> int:
    from plow_tui.commands.search import forget_history, history_note

    url = api_url(args)
    store = token_store(args)
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


