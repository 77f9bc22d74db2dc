"""A fake Plow server in memory, for snapshots of the main screen.

`snap_compare` runs sync tests, so the sandbox (an async fixture here) can't
feed them (CONVENTIONS §4). These fakes answer with fixed chats and messages;
the live stream never connects (its ticket request waits forever), so the
screen shows exactly what the fake lists plus what a test posts.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

from app_fakes import FixedClock

from plow_tui.client.errors import DeliveryUnknown, NotFound
from plow_tui.client.models import Chat, Line, Member, Message, Page
from plow_tui.client.tokens import MemoryStore, TokenStore
from plow_tui.tui.app import AppConfig, PlowApp

NOW = datetime(2026, 9, 14, 14, 2, tzinfo=timezone.utc)
TOKEN = "tok_SNAPSHOTTOKEN0123456789"
LINE_ELM = {"uid": "ln_elm", "object": "line", "provider_type": "imessage", "provider_key": "+15550000001", "display_name": "Elm"}
LINE_OAK = {"uid": "ln_oak", "object": "line", "provider_type": "imessage", "provider_key": "+15550000002", "display_name": "Oak"}


def _at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _member(uid: str, name: str, phone: str | None, *, owner: bool = False, code: str | None = None) -> dict[str, Any]:
    member: dict[str, Any] = {
        "type": "member",
        "uid": uid,
        "object": "chat_participant",
        "status": "active" if phone else "pending_verification",
        "display_name": name,
        "role": "owner" if owner else "member",
        "provider_key": phone,
        "verified_at": _at(600) if phone else None,
    }
    if code:
        member["verification_code"] = code
    return member


def _chat(uid: str, status: str, members: list[dict[str, Any]], line: dict[str, Any], **extra: Any) -> Chat:
    return Chat.from_json(
        {
            "uid": uid,
            "object": "chat",
            "status": status,
            "participants": [*members, {"type": "agent", "relationship": "self", "line": line}],
            "created_at": _at(3000),
            **extra,
        }
    )


ADA = _chat("cht_ada", "active", [_member("cp_ada", "Ada", "+15551230002", owner=True)], LINE_ELM)
TEAM = _chat(
    "cht_team",
    "pending",
    [
        _member("cp_ada2", "Ada", "+15551230002", owner=True),
        _member("cp_patrick", "Patrick", "+15557770001"),
        _member("cp_sarah", "Sarah", None, code="VERIFY-AB12CD"),
    ],
    LINE_OAK,
)
BOB = _chat("cht_bob", "active", [_member("cp_bob", "Bob", "+15557770002")], LINE_OAK)
OLD = _chat("cht_old", "failed", [_member("cp_old", "Old friend", None)], LINE_ELM, failure_reason="code expired")


def fake_message(uid: str, chat: Chat, body: str, minutes_ago: float, *, out: bool, status: str | None = None) -> Message:
    sender = {"type": "agent", "line": LINE_ELM} if out else {"type": "member", "uid": chat.members[0].uid, "display_name": chat.members[0].display_name}
    return Message.from_json(
        {
            "uid": uid,
            "object": "message",
            "chat_uid": chat.uid,
            "direction": "outbound" if out else "inbound",
            "body": body,
            "status": status or ("sent" if out else "received"),
            "sender": sender,
            "created_at": _at(minutes_ago),
        }
    )


MESSAGES = {
    "cht_ada": [  # newest first, as the API pages them
        fake_message("msg_7", ADA, "this one bounced", 1, out=True, status="failed"),
        fake_message("msg_6", ADA, "sure", 2, out=True, status="sent"),
        fake_message("msg_5", ADA, "can you bring the charger? [b]not bold[/b]", 3, out=False),
        fake_message("msg_4", ADA, "great", 4, out=False),
        fake_message("msg_3", ADA, "yes! see you at the café", 5, out=True, status="delivered"),
        fake_message("msg_2", ADA, "hey, are we still on for 3?", 6, out=False),
        fake_message("msg_1", ADA, "last night was fun", 60 * 20, out=False),
    ],
    "cht_bob": [fake_message("msg_b1", BOB, "ping me when you land", 90, out=False)],
    "cht_team": [],
    "cht_old": [],
}


class FakePlow:
    """Answers the calls the main screen makes, from the fixed data above.

    Sends of a body starting with "unknown" fail with an unknown outcome, and
    from then on history requests never answer (so the message stays "?");
    other sends never answer (they stay "sending").
    """

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.token = token
        self._outage = False

    async def chats(self) -> list[Chat]:
        return [ADA, TEAM, BOB, OLD]

    async def chat(self, uid: str) -> Chat:
        for chat in await self.chats():
            if chat.uid == uid:
                return chat
        raise NotFound("No such chat.", status=404)

    async def lines(self) -> list[Line]:
        return [Line.from_json(LINE_ELM), Line.from_json(LINE_OAK)]

    async def messages(self, chat_uid: str, limit: int = 20, starting_after: str | None = None) -> Page:
        if self._outage:
            await asyncio.Event().wait()
        data = MESSAGES.get(chat_uid, [])
        if starting_after is not None:
            data = data[[m.uid for m in data].index(starting_after) + 1 :]
        return Page(data=tuple(data[:limit]), has_more=len(data) > limit)

    async def send_message(self, chat_uid: str, body: str) -> Message:
        if body.startswith("unknown"):
            self._outage = True
            raise DeliveryUnknown("The server did not answer (503).", status=503)
        await asyncio.Event().wait()
        raise AssertionError("never answers")

    async def create_chat(self, line_id: str, member_names: list[str] | tuple[str, ...]) -> Chat:
        line = LINE_OAK if line_id == LINE_OAK["uid"] else LINE_ELM
        members = [
            _member(f"cp_new{n}", name, None, code=f"VERIFY-{n}{n}X{n}Q{n}")
            for n, name in enumerate(member_names, start=1)
        ]
        return _chat("cht_new", "pending", members, line)

    async def resend_invitation(self, chat_uid: str, participant_uid: str) -> Member:
        raise AssertionError("not used in snapshots")

    async def ws_ticket(self, chat_uid: str | None) -> str:
        await asyncio.Event().wait()  # the live stream never connects
        raise AssertionError("never answers")

    async def aclose(self) -> None:
        pass


def snapshot_app(**config: Any) -> PlowApp:
    """The real app, signed in, against `FakePlow`, at a fixed time in UTC."""
    store = TokenStore([MemoryStore()], env={"PLOW_TOKEN": TOKEN})  # signed in: straight to the chats
    options: dict[str, Any] = {"api_url": "https://api.plow.co"}
    options.update(config)
    app = PlowApp(
        AppConfig(**options),
        token_store=store,
        client_factory=FakePlow,
        now=FixedClock(NOW),
        tz=timezone.utc,
        cursor_blink=False,
        animation_level="none",
    )
    return app
