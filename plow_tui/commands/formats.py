"""Plow resources as the commands print them: JSON shapes for scripts, one line per message for people."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from plow_tui.commands.output import GREEN, RED, YELLOW, local_time
from plow_tui.terminal_text import safe_json, safe_line

if TYPE_CHECKING:
    from plow_tui.client.models import Chat, Line, ChatMessage


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
    when = local_time(message.created_at)
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


def print_json(value: Any) -> None:
    print(safe_json(value, indent=2))


# `chats` on a terminal: a status's colour.
STATUS_COLOURS = {"active": GREEN, "pending": YELLOW, "failed": RED}
