"""`plow-tui chat new|show|resend|delete|recreate`: managing chats from the shell.

A new chat is `pending` until each member texts their `VERIFY-` code to the
line from their own phone (PROTOCOL §4); codes appear only in the answers to
create and resend, so they are printed then. Output is for people by default
and for scripts with `--json`; CHAT is named as everywhere (`naming.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from plow_tui.commands import ExitCode, options
from plow_tui.commands.formats import chat_json, iso_utc
from plow_tui.commands.naming import CHAT_HELP, resolve_chat
from plow_tui.commands.running import Command, UsageError
from plow_tui.commands.signed_in import run, with_client
from plow_tui.terminal_text import safe_json, safe_line

if TYPE_CHECKING:
    from plow_tui.client.http import PlowClient
    from plow_tui.client.models import Chat, Member


def register(subparsers: Any) -> None:
    group = subparsers.add_parser(
        "chat", help="Create, show and manage one chat.", description="Create, show and manage one chat."
    )
    options.add(group, *options.PLOW)
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    def add(name: str, command: Command, help_text: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help_text, description=help_text)
        options.add(parser, *options.PLOW)
        parser.set_defaults(func=lambda args: run(command, args))
        return parser

    p = add("new", new, "Create a chat on a line; each member verifies by texting their VERIFY- code.")
    p.add_argument("--line", required=True, help="the line: its uid, number or name (`plow-tui lines`)")
    p.add_argument("--member", required=True, action="append", metavar="NAME", help="a member's name (repeat for more)")
    p.add_argument("--wait", action="store_true", help="return once every member has verified (the chat is active)")
    p.add_argument("--json", action="store_true", help="print the chat as JSON, with each member's code")

    p = add("show", show, "Show a chat: its status, number and members, and who has verified.")
    p.add_argument("chat", metavar="CHAT", help=CHAT_HELP)
    p.add_argument("--json", action="store_true", help="print the chat as JSON")

    p = add("resend", resend, "Send a member a new VERIFY- code (the old one stops working).")
    p.add_argument("chat", metavar="CHAT", help=CHAT_HELP)
    p.add_argument("member", metavar="MEMBER", help="the member: name or uid")
    p.add_argument("--json", action="store_true", help="print the member (with the new code) as JSON")

    p = add("delete", delete, "Delete a chat (asks first on a terminal).")
    p.add_argument("chat", metavar="CHAT", help=CHAT_HELP)
    p.add_argument("--yes", action="store_true", help="do not ask (required when not on a terminal)")

    p = add("recreate", recreate, "Create the chat again with the same members and line, then delete the old one.")
    p.add_argument("chat", metavar="CHAT", help=CHAT_HELP)
    p.add_argument("--json", action="store_true", help="print the new chat as JSON")


def member_json(member: Member) -> dict[str, Any]:
    return {
        "uid": member.uid,
        "display_name": member.display_name,
        "status": member.status,
        "verified": member.is_verified,
        "phone": member.provider_key,
        "verification_code": member.verification_code,
        "verification_code_expires_at": iso_utc(member.verification_code_expires_at),
    }


def _print_codes(chat: Chat, members: tuple[Member, ...] | list[Member]) -> None:
    number = safe_line(chat.number or "the chat's line")
    for member in members:
        if member.verification_code:
            who = safe_line(member.display_name or member.uid)
            print(f"  {who}: text {safe_line(member.verification_code)} to {number} from their own phone")


async def _find_line(api: PlowClient, name: str) -> str:
    from plow_tui.commands.naming import _same_number

    lines = await api.lines()
    found = [ln for ln in lines if ln.uid == name] or [
        ln for ln in lines if _same_number(name, ln.provider_key) or (ln.display_name or "").casefold() == name.casefold()
    ]
    if len(found) == 1:
        return found[0].uid
    if not found:
        raise UsageError(f"No line is named {safe_line(name)!r}; `plow-tui lines` lists them.")
    raise UsageError(f"{safe_line(name)!r} could mean {len(found)} lines: {', '.join(ln.uid for ln in found)}.")


async def new(args: argparse.Namespace) -> int:
    names = [name.strip() for name in args.member]
    if not all(names):
        raise UsageError("A member's name must not be empty.")

    async def body(api: PlowClient) -> int:
        chat = await api.create_chat(await _find_line(api, args.line), names)
        if args.json:
            print(safe_json({**chat_json(chat), "members": [member_json(m) for m in chat.members]}, ensure_ascii=False, indent=2))
        else:
            print(
                f"Created chat {safe_line(chat.uid)} ({safe_line(chat.status or 'pending')})."
                " Each member verifies by texting their code:"
            )
            _print_codes(chat, chat.members)
        sys.stdout.flush()
        if args.wait:
            return await _wait_until_active(api, chat, args.poll_interval, quiet=args.json)
        return ExitCode.OK

    return await with_client(args, body)


async def _wait_until_active(api: PlowClient, chat: Chat, interval: float, quiet: bool) -> int:
    verified = {m.uid for m in chat.members if m.is_verified}
    while True:
        await asyncio.sleep(interval)
        chat = await api.chat(chat.uid)
        for member in chat.members:
            if member.is_verified and member.uid not in verified:
                verified.add(member.uid)
                print(f"{safe_line(member.display_name or member.uid)} verified.", file=sys.stderr, flush=True)
        if chat.status == "active":
            if not quiet:
                print(f"Chat {safe_line(chat.uid)} is active.", flush=True)
            return ExitCode.OK
        if chat.status == "failed":
            reason = safe_line(chat.failure_reason or "no reason given")
            print(f"plow-tui: chat {safe_line(chat.uid)} failed: {reason}.", file=sys.stderr)
            return ExitCode.ERROR


async def show(args: argparse.Namespace) -> int:
    async def body(api: PlowClient) -> int:
        chat = await api.chat(await resolve_chat(api, args.chat))
        if args.json:
            print(safe_json(chat_json(chat), ensure_ascii=False, indent=2))
            return ExitCode.OK
        print(f"{safe_line(chat.uid)}  {safe_line(chat.title)}")
        print(f"status:  {safe_line(chat.status or '?')}")
        if chat.failure_reason:
            print(f"reason:  {safe_line(chat.failure_reason)}")
        print(f"number:  {safe_line(chat.number or '-')}")
        print("members:")
        for member in chat.members:
            state = "verified" if member.is_verified else "waiting for their code"
            owner = ", owner" if member.is_owner else ""
            print(f"  {safe_line(member.display_name or '?')}  {safe_line(member.uid)}  {state}{owner}")
        return ExitCode.OK

    return await with_client(args, body)


async def resend(args: argparse.Namespace) -> int:
    async def body(api: PlowClient) -> int:
        chat = await api.chat(await resolve_chat(api, args.chat))
        wanted = args.member.strip()
        found = [m for m in chat.members if m.uid == wanted] or [
            m for m in chat.members if (m.display_name or "").casefold() == wanted.casefold()
        ]
        if not found:
            raise UsageError(f"{chat.uid} has no member named {safe_line(wanted)!r}; `plow-tui chat show` lists them.")
        if len(found) > 1:
            raise UsageError(f"{safe_line(wanted)!r} could mean {len(found)} members: {', '.join(m.uid for m in found)}.")
        member = await api.resend_invitation(chat.uid, found[0].uid)
        if args.json:
            print(safe_json(member_json(member), ensure_ascii=False, indent=2))
        else:
            print(f"New code for {safe_line(member.display_name or member.uid)} (the old one no longer works):")
            _print_codes(chat, [member])
        return ExitCode.OK

    return await with_client(args, body)


async def delete(args: argparse.Namespace) -> int:
    async def body(api: PlowClient) -> int:
        uid = await resolve_chat(api, args.chat)
        if not args.yes:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                raise UsageError(f"Not deleting {uid} without --yes (not on a terminal, so nobody can be asked).")
            chat = await api.chat(uid)
            answer = input(f"Delete chat {uid} ({safe_line(chat.title)})? It cannot be undone. [y/N] ")
            if answer.strip().casefold() not in ("y", "yes"):
                print("Not deleted.")
                return ExitCode.ERROR
        await api.delete_chat(uid)
        print(f"Deleted chat {safe_line(uid)}.")
        return ExitCode.OK

    return await with_client(args, body)


async def recreate(args: argparse.Namespace) -> int:
    async def body(api: PlowClient) -> int:
        old = await api.chat(await resolve_chat(api, args.chat))
        line_uid = old.line_uid
        if line_uid is None:
            raise UsageError(f"{old.uid} names no line to recreate it on; use `plow-tui chat new --line …`.")
        # Create first, delete after: a failed create leaves the old chat as it was.
        chat = await api.create_chat(line_uid, [m.display_name or "Member" for m in old.members])
        await api.delete_chat(old.uid)
        if args.json:
            print(safe_json({**chat_json(chat), "members": [member_json(m) for m in chat.members]}, ensure_ascii=False, indent=2))
        else:
            print(
                f"Recreated {safe_line(old.uid)} as {safe_line(chat.uid)} ({safe_line(chat.status or 'pending')});"
                " the old chat is deleted. Codes:"
            )
            _print_codes(chat, chat.members)
        return ExitCode.OK

    return await with_client(args, body)
