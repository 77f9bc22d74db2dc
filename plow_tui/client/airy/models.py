"""Airy Chat Plugin messages, parsed tolerantly.

The two revisions of the documentation and the server disagree on field
names (`delivery_state` vs `state`, `from_contact` vs `sender_type`) and on
case (`DELIVERED` vs `delivered`); `content` is usually an object but older
servers stored it as a JSON string. All of these are read here, so the rest
of the client sees one shape. The original object stays in `raw`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from plow_tui.client.models import parse_time as parse_iso_time

JSON = dict[str, Any]

# `sender_type` of the older page: the visitor is the "source contact".
_VISITOR_SENDER_TYPES = {"source_contact", "contact"}


def parse_time(value: Any) -> datetime | None:
    """Plow's ISO-8601 reading, plus epoch milliseconds (some Airy versions send those), as aware UTC.

    Java's `SSSZ` pattern writes offsets as `+0000`, which `fromisoformat`
    reads since Python 3.11.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    return parse_iso_time(value)


def _str(obj: JSON, key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, (dict, list)):
        return None
    return value if isinstance(value, str) else str(value)


def _content(value: Any) -> JSON | str:
    """An object, or a string: a string holding a JSON object is read as that object."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("{"):
            try:
                decoded = json.loads(stripped)
            except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
                return value
            if isinstance(decoded, dict):
                return decoded
        return value
    if value is None:
        return ""
    return _dump(value, ensure_ascii=False)


def _attachment_line(attachment: Any) -> str | None:
    if not isinstance(attachment, dict):
        return None
    kind = _str(attachment, "type") or "file"
    payload = attachment.get("payload")
    url = _str(payload, "url") if isinstance(payload, dict) else None
    url = url or _str(attachment, "url")
    return f"[{kind}] {url}" if url else f"[{kind}]"


def _quick_reply_titles(content: JSON) -> list[str]:
    # Agents offer choices as `quickreplies` (Airy) or `quick_replies` (Messenger style).
    replies = content.get("quickreplies") or content.get("quick_replies") or []
    if not isinstance(replies, list):
        return []
    titles = []
    for reply in replies:
        if isinstance(reply, dict):
            title = _str(reply, "title") or _str(reply, "text") or _str(reply, "payload")
            if title:
                titles.append(title)
        elif isinstance(reply, str):
            titles.append(reply)
    return titles


def render_content(content: JSON | str) -> str:
    """One readable text for any content: text, quick reply, attachments, or compact JSON."""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    text = content.get("text")
    if isinstance(text, str) and text:
        parts.append(text)
    elif isinstance(content.get("postbackData"), str):
        # A quick reply without a label: the postback is all there is to show.
        parts.append(content["postbackData"])
    titles = _quick_reply_titles(content)
    if titles:
        parts.append("[choices] " + " | ".join(titles))
    attachments = content.get("attachments")
    for attachment in [content.get("attachment"), *(attachments if isinstance(attachments, list) else [])]:
        line = _attachment_line(attachment)
        if line:
            parts.append(line)
    if parts:
        return "\n".join(parts)
    # Something this client does not know (rich cards, templates…): show it
    # rather than an empty bubble.
    return _dump(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _dump(value: Any, **options: Any) -> str:
    """`json.dumps`, or a placeholder for a value nested too deep to print."""
    try:
        return json.dumps(value, **options)
    except (RecursionError, ValueError):  # RecursionError: absurdly deep nesting
        return "[content nested too deeply to show]"


@dataclass(frozen=True, slots=True)
class AirySender:
    """Who wrote a message, when the server says so."""

    id: str | None = None
    name: str | None = None
    avatar_url: str | None = None

    @classmethod
    def from_json(cls, obj: Any) -> AirySender | None:
        if not isinstance(obj, dict):
            return None
        return cls(id=_str(obj, "id"), name=_str(obj, "name"), avatar_url=_str(obj, "avatar_url"))


@dataclass(frozen=True, slots=True)
class AiryMessage:
    """One message of a Chat Plugin conversation, from the visitor or an agent."""

    id: str
    content: JSON | str = ""
    sent_at: datetime | None = None
    delivery_state: str | None = None  # pending | failed | delivered | anything new (lower case)
    from_contact: bool = False  # True: the visitor, i.e. us
    sender: AirySender | None = None
    metadata: JSON = field(default_factory=dict, compare=False)
    source: str | None = None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @property
    def text(self) -> str:
        """The content as one readable string (see `render_content`)."""
        return render_content(self.content)

    @property
    def display_text(self) -> str:
        return self.text

    @property
    def is_from_visitor(self) -> bool:
        return self.from_contact

    @property
    def sender_name(self) -> str | None:
        return self.sender.name if self.sender is not None else None

    @classmethod
    def from_json(cls, obj: Any) -> AiryMessage:
        obj = obj if isinstance(obj, dict) else {}
        state = _str(obj, "delivery_state") or _str(obj, "state")
        from_contact = obj.get("from_contact")
        if not isinstance(from_contact, bool):
            sender_type = (_str(obj, "sender_type") or "").lower()
            from_contact = sender_type in _VISITOR_SENDER_TYPES
        metadata = obj.get("metadata")
        return cls(
            id=_str(obj, "id") or "",
            content=_content(obj.get("content")),
            sent_at=parse_time(obj.get("sent_at")),
            delivery_state=state.lower() if state else None,
            from_contact=from_contact,
            sender=AirySender.from_json(obj.get("sender")),
            metadata=metadata if isinstance(metadata, dict) else {},
            source=_str(obj, "source"),
            raw=obj,
        )


@dataclass(frozen=True, slots=True)
class AiryPush:
    """The body of a STOMP `MESSAGE`: a message and, from the server, where it belongs."""

    message: AiryMessage
    conversation_id: str | None = None
    channel_id: str | None = None

    @classmethod
    def from_json(cls, obj: Any) -> AiryPush | None:
        """None when the body holds no message (so the caller can skip it)."""
        if not isinstance(obj, dict):
            return None
        inner = obj.get("message")
        if not isinstance(inner, dict):
            return None
        message = AiryMessage.from_json(inner)
        if not message.id:
            return None
        return cls(
            message=message,
            conversation_id=_str(obj, "conversation_id"),
            channel_id=_str(obj, "channel_id"),
        )
