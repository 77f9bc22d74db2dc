"""The sandbox world's records and their wire form (PROTOCOL.md §3–§5).

Records are plain dataclasses so the world can be saved as JSON and restored.
Secrets (tokens, activation secrets, tickets) are never stored: only their
SHA-256 digests, so neither memory dumps nor the state file hold a credential.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def digest(secret: str) -> str:
    """The only form in which the sandbox keeps a credential."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def iso(ts: float) -> str:
    """ISO-8601 UTC with milliseconds and a `Z`, as the sandbox emits timestamps."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass
class Line:
    """A pool line: a phone number people text."""

    uid: str
    provider_key: str
    display_name: str | None
    provider_type: str = "imessage"

    def wire(self) -> dict[str, Any]:
        return {
            "object": "line",
            "uid": self.uid,
            "provider_type": self.provider_type,
            "provider_key": self.provider_key,
            "display_name": self.display_name,
            "agent_uid": None,
        }


@dataclass
class Account:
    """A user, identified by the phone that texted its activation code."""

    uid: str
    phone: str
    name: str | None
    created_at: float


@dataclass
class TokenRecord:
    """A Bearer token, by digest."""

    account_uid: str
    revoked: bool = False


@dataclass
class Activation:
    """A sign-in in progress or done (keyed by the digest of its secret)."""

    code: str
    line_uid: str
    name: str | None
    provision_chat: bool
    created_at: float
    verified_at: float | None = None
    account_uid: str | None = None
    chat_uid: str | None = None
    token_issued: bool = False


@dataclass
class Member:
    """A human participant of a chat; bound to a phone once verified."""

    uid: str
    display_name: str | None
    role: str
    created_at: float
    phone: str | None = None
    code: str | None = None
    code_expires_at: float | None = None
    verified_at: float | None = None

    @property
    def status(self) -> str:
        return "active" if self.verified_at is not None else "pending_verification"

    def wire(self, *, with_code: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "member",
            "uid": self.uid,
            "object": "chat_participant",
            "status": self.status,
            "display_name": self.display_name,
            "role": self.role,
            "relationship": None,
            "provider_type": "imessage",
            "provider_key": self.phone,
            "verified_at": iso(self.verified_at) if self.verified_at is not None else None,
            "joined_at": iso(self.verified_at) if self.verified_at is not None else None,
        }
        if with_code and self.code is not None and self.code_expires_at is not None:
            data["verification_code"] = self.code
            data["verification_code_expires_at"] = iso(self.code_expires_at)
        return data

    def sender(self) -> dict[str, Any]:
        return {
            "type": "member",
            "uid": self.uid,
            "display_name": self.display_name,
            "provider_key": self.phone,
            "role": self.role,
        }


@dataclass
class Message:
    """A message of a chat: inbound from a member or outbound through the line."""

    uid: str
    chat_uid: str
    direction: str
    body: str
    status: str
    created_at: float
    sender_uid: str | None = None  # the member, for inbound messages
    failure_reason: str | None = None  # why a failed delivery failed, when the fault gave one


@dataclass
class Chat:
    """A chat on one line, owned by one account."""

    uid: str
    account_uid: str
    line_uid: str
    status: str
    created_at: float
    display_name: str | None = None
    failure_reason: str | None = None
    deleted: bool = False
    members: list[Member] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    # Picks which chat an inbound text belongs to when a phone is in several.
    last_activity: float = 0.0

    def member(self, uid: str) -> Member | None:
        return next((m for m in self.members if m.uid == uid), None)


@dataclass
class Ticket:
    """A single-use WebSocket ticket (keyed by its digest)."""

    token_digest: str
    account_uid: str
    chat_uid: str | None
    expires_at: float


@dataclass
class PhoneText:
    """A text a line sent to a person's phone."""

    sender: str
    to: str
    text: str
    sent_at: float

    def wire(self) -> dict[str, Any]:
        return {"from": self.sender, "to": self.to, "text": self.text, "sent_at": iso(self.sent_at)}


def agent_participant(line: Line) -> dict[str, Any]:
    return {
        "type": "agent",
        "relationship": "self",
        "represents_participant_uid": None,
        "line": {
            "uid": line.uid,
            "object": "line",
            "provider_type": line.provider_type,
            "provider_key": line.provider_key,
            "display_name": line.display_name,
        },
    }


def chat_wire(chat: Chat, line: Line, *, with_codes: bool = False) -> dict[str, Any]:
    return {
        "uid": chat.uid,
        "object": "chat",
        "status": chat.status,
        "display_name": chat.display_name,
        "failure_reason": chat.failure_reason,
        "provider_key": line.provider_key,
        "participants": [m.wire(with_code=with_codes) for m in chat.members] + [agent_participant(line)],
        "created_at": iso(chat.created_at),
    }


def message_wire(message: Message, chat: Chat, line: Line) -> dict[str, Any]:
    if message.direction == "inbound":
        member = chat.member(message.sender_uid or "")
        sender = member.sender() if member else {"type": "member", "uid": message.sender_uid}
    else:
        sender = agent_participant(line)
    return {
        "uid": message.uid,
        "object": "message",
        "chat_uid": message.chat_uid,
        "direction": message.direction,
        "body": message.body,
        "status": message.status,
        "sender": sender,
        "created_at": iso(message.created_at),
        # PROTOCOL §5 leaves a failed delivery's fields open; the sandbox names the reason `failure_reason`,
        # as chats do, and only when it has one.
        **({"failure_reason": message.failure_reason} if message.failure_reason else {}),
    }
