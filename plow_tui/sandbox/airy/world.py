"""The sandbox's Airy instance: one channel, conversations, tokens (no I/O).

The rules follow AIRY.md, which follows the open-source server (airyhq/airy):
authenticate with a channel id starts a conversation, with a resume token
continues one; visitor messages are stored `delivered` as the server does;
tokens are opaque random strings here (the real ones are JWTs) with the
documented lifetimes unless the config shortens them.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

# Fixed so that a developer can type it once and keep it across restarts.
DEFAULT_CHANNEL_ID = "5f1e7c2a-8b4d-4e6f-9a1c-3d2b0e4f6a70"
AUTH_TOKEN_TTL = 60 * 60
RESUME_TOKEN_TTL = 7 * 24 * 60 * 60
MAX_TEXT_CHARS = 10_000
ATTACHMENT_TYPES = ("image", "video", "audio", "file")

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AiryConfig:
    """Settings of the sandbox's Airy side; tests shorten the lifetimes."""

    channel_id: str = DEFAULT_CHANNEL_ID
    auth_token_ttl: float = AUTH_TOKEN_TTL
    resume_token_ttl: float = RESUME_TOKEN_TTL
    heartbeat_ms: int = 30_000  # what CONNECTED offers, both ways
    idle_timeout: float = 120.0  # a socket that sends nothing this long is closed
    system_token: str | None = None  # enables resumeToken "on behalf of the user"
    clock: Callable[[], float] = time.time


class AiryHttpError(Exception):
    """An answer other than 200, with the body the real server would send."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message or str(status))
        self.status = status
        self.message = message


@dataclass(slots=True)
class _Grant:
    kind: str  # "auth" | "resume"
    conversation_id: str
    channel_id: str
    expires_at: float


@dataclass(slots=True)
class Conversation:
    """A visitor's conversation with the channel, oldest message first."""

    id: str
    channel_id: str
    messages: list[JSON] = field(default_factory=list)


def is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def bearer(authorization: str | None) -> str | None:
    """The token of an Authorization header, sent with or without `Bearer `."""
    if not authorization:
        return None
    value = authorization.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


def validate_content(content: Any) -> JSON:
    """Message content as the widget sends it: text, quick reply, or an attachment."""
    if not isinstance(content, dict) or not content:
        raise AiryHttpError(400, "message must be a non-empty object")
    text = content.get("text")
    attachment = content.get("attachment")
    if text is None and attachment is None:
        raise AiryHttpError(400, "message needs text or an attachment")
    if text is not None:
        if not isinstance(text, str) or not text.strip():
            raise AiryHttpError(400, "text must be a non-empty string")
        if len(text) > MAX_TEXT_CHARS:
            raise AiryHttpError(400, f"text is longer than {MAX_TEXT_CHARS} characters")
    if "postbackData" in content and not isinstance(content["postbackData"], str):
        raise AiryHttpError(400, "postbackData must be a string")
    if attachment is not None:
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        if (
            not isinstance(attachment, dict)
            or attachment.get("type") not in ATTACHMENT_TYPES
            or not isinstance(payload, dict)
            or not isinstance(payload.get("url"), str)
            or not payload["url"]
        ):
            raise AiryHttpError(400, "attachment needs a type (image, video, audio, file) and payload.url")
    return content


class AiryWorld:
    """All state of the sandbox's Airy instance; every method is synchronous and quick."""

    def __init__(self, config: AiryConfig) -> None:
        self.config = config
        self.connected_channels = {config.channel_id}
        self.conversations: dict[str, Conversation] = {}
        self._grants: dict[str, _Grant] = {}

    # -- tokens ---------------------------------------------------------------

    def _issue(self, kind: str, conversation: Conversation) -> str:
        ttl = self.config.auth_token_ttl if kind == "auth" else self.config.resume_token_ttl
        token = secrets.token_urlsafe(32)
        self._grants[token] = _Grant(kind, conversation.id, conversation.channel_id, self.config.clock() + ttl)
        return token

    def _grant(self, token: str | None, kind: str) -> _Grant:
        grant = self._grants.get(token) if token else None
        if grant is None or grant.kind != kind:
            raise AiryHttpError(401)
        if grant.expires_at <= self.config.clock():
            del self._grants[token]  # type: ignore[arg-type]
            raise AiryHttpError(401)
        return grant

    def conversation_for(self, authorization: str | None) -> Conversation:
        """The conversation an auth token (an `Authorization` value) belongs to, or 401."""
        grant = self._grant(bearer(authorization), "auth")
        conversation = self.conversations.get(grant.conversation_id)
        if conversation is None:
            raise AiryHttpError(401)
        return conversation

    # -- the Chat Plugin API --------------------------------------------------

    def authenticate(self, body: JSON) -> JSON:
        resume_token = body.get("resume_token")
        channel_id = body.get("channel_id")
        if resume_token:
            if not isinstance(resume_token, str):
                raise AiryHttpError(400, "resume_token must be a string")
            grant = self._grant(resume_token, "resume")
            conversation = self.conversations.get(grant.conversation_id)
            if conversation is None:
                raise AiryHttpError(401)
            if conversation.channel_id not in self.connected_channels:
                raise AiryHttpError(404, "channel not found")
        elif channel_id:
            if not is_uuid(channel_id):
                raise AiryHttpError(400, "channel_id must be a UUID")
            if channel_id not in self.connected_channels:
                raise AiryHttpError(404, "channel not found")
            conversation = Conversation(id=str(uuid.uuid4()), channel_id=channel_id)
            self.conversations[conversation.id] = conversation
        else:
            raise AiryHttpError(400, "channel_id or resume_token is required")
        return {"token": self._issue("auth", conversation), "messages": list(conversation.messages)}

    def resume_token(self, authorization: str | None, body: JSON) -> JSON:
        token = bearer(authorization)
        if self.config.system_token and token == self.config.system_token:
            conversation_id = body.get("conversation_id")
            conversation = self.conversations.get(conversation_id) if isinstance(conversation_id, str) else None
            if conversation is None or conversation.channel_id != body.get("channel_id"):
                raise AiryHttpError(400, "channel_id and conversation_id must name a conversation")
        else:
            conversation = self.conversation_for(authorization)
        return {"resume_token": self._issue("resume", conversation)}

    def send(self, authorization: str | None, body: JSON) -> tuple[Conversation, JSON]:
        conversation = self.conversation_for(authorization)
        if conversation.channel_id not in self.connected_channels:
            raise AiryHttpError(404, "channel not found")
        content = validate_content(body.get("message"))
        return conversation, self._append(conversation, content, from_contact=True)

    def agent_says(self, conversation_id: str, body: JSON) -> tuple[Conversation, JSON]:
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            raise AiryHttpError(404, "conversation not found")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise AiryHttpError(400, "text must be a non-empty string")
        content = validate_content({"text": text})
        return conversation, self._append(conversation, content, from_contact=False)

    def _append(self, conversation: Conversation, content: JSON, *, from_contact: bool) -> JSON:
        now = datetime.fromtimestamp(self.config.clock(), tz=timezone.utc)
        sender = (
            {"id": "airy-core-anonymous"}
            if from_contact
            else {"id": "sandbox-agent", "name": "Sandbox Agent", "avatar_url": None}
        )
        message = {
            "id": str(uuid.uuid4()),
            "content": content,
            # The real server stores the visitor's messages as delivered at once.
            "delivery_state": "delivered",
            "from_contact": from_contact,
            "sent_at": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            "metadata": {},
            "sender": sender,
            "source": "chatplugin",
        }
        conversation.messages.append(message)
        return message

    # -- faults ---------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every token issued so far answers 401 from now on."""
        self._grants.clear()

    def disconnect_channel(self, channel_id: str) -> None:
        self.connected_channels.discard(channel_id)
