"""Plow resources as plain value classes (`Record`s), parsed tolerantly.

The live API omits null keys or sends them as `null`, adds fields, and may grow
new enum values; none of that is an error here. Unknown enum values are kept
as the string the server sent, and the original JSON object is kept in `raw`
so nothing the server said is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any

from plow_tui.record import Record, set_field

JSON = dict[str, Any]


# Times this close to datetime's limits cannot be shown in every time zone
# (converting 9999-12-31 23:59 to UTC+1 overflows): they count as unknown.
_EARLIEST = datetime(1, 1, 3, tzinfo=timezone.utc)
_LATEST = datetime(9999, 12, 29, tzinfo=timezone.utc)


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 with `Z`, `+00:00` or no offset (naive means UTC), with or without fractions.

    Unreadable times, and times within two days of year 1 or 9999 (which
    overflow when moved to another zone), are None: shown as unknown.
    """
    if value.__class__ is str and value[-1:] == "Z":
        # The server's own shape: Python reads the `Z` itself, so no copy and no
        # conversion (a backlog parses thousands of these).
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass  # e.g. surrounding spaces: the general path below
        else:
            if parsed.tzinfo is timezone.utc:
                return parsed if _EARLIEST <= parsed <= _LATEST else None
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
        parsed = parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
    return parsed if _EARLIEST <= parsed <= _LATEST else None


def _str(obj: JSON, key: str) -> str | None:
    value = obj.get(key)
    if value is None or value.__class__ is str:  # the usual cases first: called ~10 times per message
        return value
    return value if isinstance(value, str) else str(value)


def _obj(value: Any) -> JSON:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class Line(Record):
    """A Plow line: the number people text."""

    __slots__ = ("uid", "provider_key", "provider_type", "display_name", "raw")
    frozen = True

    uid: str
    provider_key: str | None
    provider_type: str | None
    display_name: str | None
    raw: JSON

    def __init__(
        self,
        uid: str,
        provider_key: str | None = None,
        provider_type: str | None = None,
        display_name: str | None = None,
        raw: JSON | None = None,
    ) -> None:
        set_field(self, "uid", uid)
        set_field(self, "provider_key", provider_key)
        set_field(self, "provider_type", provider_type)
        set_field(self, "display_name", display_name)
        set_field(self, "raw", {} if raw is None else raw)

    @classmethod
    def from_json(cls, obj: Any) -> Line:
        obj = _obj(obj)
        return cls(
            uid=_str(obj, "uid") or "",
            provider_key=_str(obj, "provider_key"),
            provider_type=_str(obj, "provider_type"),
            display_name=_str(obj, "display_name"),
            raw=obj,
        )


class Member(Record):
    """A human participant of a chat (`type: member`)."""

    __slots__ = (
        "uid", "status", "display_name", "role", "provider_key", "provider_type",
        "verification_code", "verification_code_expires_at", "verified_at", "raw",
    )  # fmt: skip
    frozen = True

    uid: str
    status: str | None  # pending_verification | active | anything new
    display_name: str | None
    role: str | None  # owner | member | absent
    provider_key: str | None  # null until verified
    provider_type: str | None
    verification_code: str | None  # only in create/resend answers
    verification_code_expires_at: datetime | None
    verified_at: datetime | None
    raw: JSON

    def __init__(
        self,
        uid: str,
        status: str | None = None,
        display_name: str | None = None,
        role: str | None = None,
        provider_key: str | None = None,
        provider_type: str | None = None,
        verification_code: str | None = None,
        verification_code_expires_at: datetime | None = None,
        verified_at: datetime | None = None,
        raw: JSON | None = None,
    ) -> None:
        set_field(self, "uid", uid)
        set_field(self, "status", status)
        set_field(self, "display_name", display_name)
        set_field(self, "role", role)
        set_field(self, "provider_key", provider_key)
        set_field(self, "provider_type", provider_type)
        set_field(self, "verification_code", verification_code)
        set_field(self, "verification_code_expires_at", verification_code_expires_at)
        set_field(self, "verified_at", verified_at)
        set_field(self, "raw", {} if raw is None else raw)

    @property
    def is_verified(self) -> bool:
        return self.status == "active"

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @classmethod
    def from_json(cls, obj: Any) -> Member:
        obj = _obj(obj)
        return cls(
            uid=_str(obj, "uid") or "",
            status=_str(obj, "status"),
            display_name=_str(obj, "display_name"),
            role=_str(obj, "role"),
            provider_key=_str(obj, "provider_key"),
            provider_type=_str(obj, "provider_type"),
            verification_code=_str(obj, "verification_code"),
            verification_code_expires_at=parse_time(obj.get("verification_code_expires_at")),
            verified_at=parse_time(obj.get("verified_at")),
            raw=obj,
        )


class Agent(Record):
    """The line's side of a chat (`type: agent`); it has no uid."""

    __slots__ = ("line", "relationship", "raw")
    frozen = True

    line: Line | None
    relationship: str | None  # self | peer
    raw: JSON

    def __init__(self, line: Line | None = None, relationship: str | None = None, raw: JSON | None = None) -> None:
        set_field(self, "line", line)
        set_field(self, "relationship", relationship)
        set_field(self, "raw", {} if raw is None else raw)

    @classmethod
    def from_json(cls, obj: Any) -> Agent:
        obj = _obj(obj)
        line = obj.get("line")
        return cls(
            line=Line.from_json(line) if isinstance(line, dict) else None,
            relationship=_str(obj, "relationship"),
            raw=obj,
        )


class Chat(Record):
    """A conversation between a line and one or more members."""

    __slots__ = ("uid", "status", "display_name", "failure_reason", "provider_key", "members", "agents", "created_at", "raw")
    frozen = True

    uid: str
    status: str | None  # pending | active | failed | anything new
    display_name: str | None
    failure_reason: str | None
    provider_key: str | None  # may be a provider thread id: see `number`
    members: tuple[Member, ...]
    agents: tuple[Agent, ...]
    created_at: datetime | None
    raw: JSON

    def __init__(
        self,
        uid: str,
        status: str | None = None,
        display_name: str | None = None,
        failure_reason: str | None = None,
        provider_key: str | None = None,
        members: tuple[Member, ...] = (),
        agents: tuple[Agent, ...] = (),
        created_at: datetime | None = None,
        raw: JSON | None = None,
    ) -> None:
        set_field(self, "uid", uid)
        set_field(self, "status", status)
        set_field(self, "display_name", display_name)
        set_field(self, "failure_reason", failure_reason)
        set_field(self, "provider_key", provider_key)
        set_field(self, "members", members)
        set_field(self, "agents", agents)
        set_field(self, "created_at", created_at)
        set_field(self, "raw", {} if raw is None else raw)

    @property
    def number(self) -> str | None:
        """The number people text: the agent participant's line (PROTOCOL §4)."""
        for agent in self.agents:
            if agent.line is not None and agent.line.provider_key:
                return agent.line.provider_key
        return self.provider_key

    @property
    def line_uid(self) -> str | None:
        for agent in self.agents:
            if agent.line is not None and agent.line.uid:
                return agent.line.uid
        return None

    @property
    def title(self) -> str:
        """Display name, else the members' names, else the number."""
        if self.display_name:
            return self.display_name
        names = [m.display_name for m in self.members if m.display_name]
        if names:
            return ", ".join(names)
        return self.number or self.uid

    @classmethod
    def from_json(cls, obj: Any) -> Chat:
        obj = _obj(obj)
        members: list[Member] = []
        agents: list[Agent] = []
        for participant in _list(obj.get("participants")):
            if not isinstance(participant, dict):
                continue
            if participant.get("type") == "agent":
                agents.append(Agent.from_json(participant))
            else:
                members.append(Member.from_json(participant))
        return cls(
            uid=_str(obj, "uid") or "",
            status=_str(obj, "status"),
            display_name=_str(obj, "display_name"),
            failure_reason=_str(obj, "failure_reason"),
            provider_key=_str(obj, "provider_key"),
            members=tuple(members),
            agents=tuple(agents),
            created_at=parse_time(obj.get("created_at")),
            raw=obj,
        )


# Sender and ChatMessage are parsed by the thousand (a backlog after a reconnect),
# so they are not frozen: setting every field through `object.__setattr__` made
# parsing them ~40% slower (issue #8). Treat them as immutable all the same
# (change one with `record.replace`); they are hashable like the frozen ones.
class Sender(Record):
    """Who wrote a message: a member (has uid) or the agent/line (has no uid)."""

    __slots__ = ("type", "uid", "display_name", "provider_key", "role", "raw")

    type: str | None  # member | agent
    uid: str | None
    display_name: str | None
    provider_key: str | None
    role: str | None
    raw: JSON

    def __init__(
        self,
        type: str | None = None,  # noqa: A002 - the server's name for it
        uid: str | None = None,
        display_name: str | None = None,
        provider_key: str | None = None,
        role: str | None = None,
        raw: JSON | None = None,
    ) -> None:
        self.type = type
        self.uid = uid
        self.display_name = display_name
        self.provider_key = provider_key
        self.role = role
        self.raw = {} if raw is None else raw

    @property
    def is_agent(self) -> bool:
        return self.type == "agent"

    @classmethod
    def from_json(cls, obj: Any) -> Sender:
        if obj.__class__ is dict:
            # The server's own shape (every field a string or absent), checked and built in one go.
            get = obj.get
            kind, uid, name, key, role = get("type"), get("uid"), get("display_name"), get("provider_key"), get("role")
            if (
                key.__class__ is str
                and (kind is None or kind.__class__ is str)
                and (uid is None or uid.__class__ is str)
                and (name is None or name.__class__ is str)
                and (role is None or role.__class__ is str)
            ):
                return cls(kind, uid, name, key, role, obj)
        return cls.parse(obj)

    @classmethod
    def parse(cls, obj: Any) -> Sender:
        """`from_json` for any shape, field by field (its fast path gives the same answer)."""
        obj = _obj(obj)
        provider_key = _str(obj, "provider_key")
        line = obj.get("line")
        if provider_key is None and isinstance(line, dict):
            provider_key = _str(line, "provider_key")
        return cls(
            type=_str(obj, "type"),
            uid=_str(obj, "uid"),
            display_name=_str(obj, "display_name"),
            provider_key=provider_key,
            role=_str(obj, "role"),
            raw=obj,
        )


_direction = attrgetter("direction")


class ChatMessage(Record):  # not frozen: see Sender
    """One text in a chat (immutable by convention: use `record.replace`)."""

    __slots__ = ("uid", "chat_uid", "direction", "body", "status", "sender", "created_at", "raw")

    uid: str
    chat_uid: str | None
    direction: str | None  # inbound | outbound
    body: str
    status: str | None  # received | sent | delivered | failed | anything new
    sender: Sender
    created_at: datetime | None
    raw: JSON

    def __init__(
        self,
        uid: str,
        chat_uid: str | None = None,
        direction: str | None = None,
        body: str = "",
        status: str | None = None,
        sender: Sender | None = None,
        created_at: datetime | None = None,
        raw: JSON | None = None,
    ) -> None:
        self.uid = uid
        self.chat_uid = chat_uid
        self.direction = direction
        self.body = body
        self.status = status
        self.sender = Sender() if sender is None else sender
        self.created_at = created_at
        self.raw = {} if raw is None else raw

    @property
    def is_outbound(self) -> bool:
        return self.direction == "outbound"

    @staticmethod
    def outbound_count(messages: Iterable[ChatMessage]) -> int:
        """How many of `messages` are `is_outbound`, counted at C speed (a catch-up's thousands)."""
        return list(map(_direction, messages)).count("outbound")

    @classmethod
    def from_json(cls, obj: Any) -> ChatMessage:
        if obj.__class__ is dict:
            # The server's own shape (every field a string or absent), checked and built in
            # one go: a backlog parses thousands, and field by field took three times as long.
            get = obj.get
            uid, chat_uid, direction, body, status = get("uid"), get("chat_uid"), get("direction"), get("body"), get("status")
            if (
                uid.__class__ is str
                and body.__class__ is str
                and (chat_uid is None or chat_uid.__class__ is str)
                and (direction is None or direction.__class__ is str)
                and (status is None or status.__class__ is str)
            ):
                return cls(uid, chat_uid, direction, body, status, Sender.from_json(get("sender")), parse_time(get("created_at")), obj)
        return cls.parse(obj)

    @classmethod
    def parse(cls, obj: Any) -> ChatMessage:
        """`from_json` for any shape, field by field (its fast path gives the same answer)."""
        obj = _obj(obj)
        body = obj.get("body")
        return cls(
            uid=message_uid(obj),
            chat_uid=_str(obj, "chat_uid"),
            direction=_str(obj, "direction"),
            body=body if isinstance(body, str) else ("" if body is None else str(body)),
            status=_str(obj, "status"),
            sender=Sender.parse(obj.get("sender")),
            created_at=parse_time(obj.get("created_at")),
            raw=obj,
        )


def message_uid(obj: JSON) -> str:
    """The uid `ChatMessage.from_json(obj)` would have ("" for none), without building the message."""
    return _str(obj, "uid") or ""
