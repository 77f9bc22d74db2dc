"""Fixed data and in-memory stand-ins for a Plow server and a phone.

The screenshots in `screenshots/` (`python tests/support/screenshots.py`) and
the snapshot tests in `tests/tui/` both drive the real app against these, so
both show exactly the same states and a changed screen changes both. Nothing
here touches the network or a clock: every code, number, id and time is fixed,
so rendering twice gives identical pictures.

The live stream never connects (its ticket request waits forever), so the main
screen shows exactly what `FakePlow` lists plus what a scene posts to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from plow_tui.client.airy.events import AiryEvent, AiryMessagesArrived
from plow_tui.client.airy.models import AiryMessage, AirySender
from plow_tui.client.errors import DeliveryUnknown, NotFound
from plow_tui.client.events import ConnectionChanged
from plow_tui.client.answers import ActivationStart, Page, Redeem
from plow_tui.client.models import Chat, Line, Member, ChatMessage
from plow_tui.client.phone import PhoneText
from plow_tui.client.secret_backends import MemoryStore
from plow_tui.client.tokens import TokenStore
from plow_tui.tui.app import AppConfig, PlowApp
from plow_tui.tui.standalone import AiryApp, PhoneApp

# -- activation and the phone ---------------------------------------------------

FIXED_NOW = datetime(2026, 9, 14, 12, 0, 0, tzinfo=timezone.utc)
CODE = "K7Q2D"
LINE = "+15550000001"
# A made-up credential: it must never be drawn (tests search the pictures for it).
DEMO_ACTIVATION_SECRET = "act_DEMOSECRET0123456789"
PHONE = "+15551230002"
PHONE_INBOX = (
    PhoneText(LINE, PHONE, "Welcome to Plow! Reply here to chat with Ada.", FIXED_NOW - timedelta(minutes=3)),
    PhoneText(LINE, PHONE, "are we still on for 3? [bold]not markup[/bold]", FIXED_NOW - timedelta(minutes=1)),
)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeClient:
    """A PlowClient stand-in for activation: a fixed code, and redeem answers from a script.

    `redeem` is called on each poll; it returns a `Redeem` or raises a
    `PlowError` (default: always pending).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        redeem: Callable[[], Redeem] | None = None,
        secret: str = DEMO_ACTIVATION_SECRET,
    ) -> None:
        self.base_url = base_url
        self.token = token
        self._redeem = redeem or (lambda: Redeem("pending"))
        self._secret = secret

    async def activate(self, name: str | None = None, provision_chat: bool = True) -> ActivationStart:
        return ActivationStart(CODE, self._secret, LINE, "ln_1")

    async def redeem(self, secret: str) -> Redeem:
        return self._redeem()

    async def chats(self) -> list[Chat]:
        return []

    async def aclose(self) -> None:
        pass

    async def __aenter__(self) -> FakeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass


class FakePhone:
    """A handset with a fixed inbox and a socket that stays open and quiet."""

    def __init__(self, base_url: str, phone: str, texts: list[PhoneText] | tuple[PhoneText, ...] | None = None) -> None:
        self.base_url = base_url
        self.phone = phone
        self._texts = list(texts or [])
        self.sent: list[tuple[str, str]] = []

    async def texts(self) -> list[PhoneText]:
        return list(self._texts)

    async def send(self, to: str, text: str) -> str:
        self.sent.append((to, text))
        return "activated"

    async def lines(self) -> list[str]:
        return [LINE, "+15550000002"]

    async def live(self, on_open: Callable[[], Awaitable[None]] | None = None) -> AsyncIterator[PhoneText]:
        if on_open is not None:
            await on_open()
        await asyncio.Event().wait()
        yield  # pragma: no cover - never reached: makes this an async generator

    async def aclose(self) -> None:
        pass


def demo_phone(base_url: str, phone: str) -> FakePhone:
    """A phone factory: every handset holds `PHONE_INBOX`."""
    return FakePhone(base_url, phone, PHONE_INBOX)


def display_options(clock: Callable[[], datetime]) -> dict[str, Any]:
    """What makes rendering repeatable: the clock, UTC, no blinking cursor, no animation."""
    return {"now": clock, "tz": timezone.utc, "cursor_blink": False, "animation_level": "none"}


def activation_app(
    *,
    redeem: Callable[[], Redeem] | None = None,
    clock: Callable[[], datetime] | None = None,
    store: TokenStore | None = None,
    app_class: type[PlowApp] = PlowApp,
    secret: str = DEMO_ACTIVATION_SECRET,
    **config: Any,
) -> PlowApp:
    """The app signed out, activating against `FakeClient` at `FIXED_NOW`.

    `redeem` scripts the server's answers to polling (default: pending).
    """
    options: dict[str, Any] = {"api_url": "https://api.plow.co", "name": "Ada", "poll_interval": 0.05}
    options.update(config)

    def client_factory(base_url: str, token: str | None = None) -> FakeClient:
        return FakeClient(base_url, token, redeem=redeem, secret=secret)

    return app_class(
        AppConfig(**options),
        token_store=store or TokenStore([MemoryStore()], env={}),
        client_factory=client_factory,
        phone_factory=FakePhone,
        **display_options(clock or FixedClock()),
    )


def phone_app(draft_text: str = f"Plow Activate: {CODE}") -> PhoneApp:
    """`plow-tui phone` with `PHONE_INBOX` and a text ready to send to `LINE`."""
    from plow_tui.tui.plow.phone import Draft

    return PhoneApp(
        "http://127.0.0.1:8765",
        PHONE,
        phone_factory=demo_phone,
        draft=Draft(text=draft_text, to=LINE),
        **display_options(FixedClock()),
    )


# -- the main screen --------------------------------------------------------------

NOW = datetime(2026, 9, 14, 14, 2, tzinfo=timezone.utc)
# Signed in with a made-up token; it must never be drawn either.
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


def fake_message(uid: str, chat: Chat, body: str, minutes_ago: float, *, out: bool, status: str | None = None) -> ChatMessage:
    """A message in `chat`, `minutes_ago` before `NOW`: ours (`out`) or its first member's."""
    sender = (
        {"type": "agent", "line": LINE_ELM}
        if out
        else {"type": "member", "uid": chat.members[0].uid, "display_name": chat.members[0].display_name}
    )
    return ChatMessage.from_json(
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
# What the live stream would deliver while Ada's chat is open: Bob's chat gets two unread.
BOB_ARRIVALS = (
    fake_message("msg_b2", BOB, "landed!", 0.5, out=False),
    fake_message("msg_b3", BOB, "where are you?", 0.2, out=False),
)


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

    async def send_message(self, chat_uid: str, body: str) -> ChatMessage:
        if body.startswith("unknown"):
            self._outage = True
            raise DeliveryUnknown("The server did not answer (503).", status=503)
        await asyncio.Event().wait()
        raise AssertionError("never answers")

    async def create_chat(self, line_id: str, member_names: list[str] | tuple[str, ...]) -> Chat:
        line = LINE_OAK if line_id == LINE_OAK["uid"] else LINE_ELM
        members = [
            _member(f"cp_new{n}", name, None, code=f"VERIFY-{n}{n}X{n}Q{n}") for n, name in enumerate(member_names, start=1)
        ]
        return _chat("cht_new", "pending", members, line)

    async def delete_chat(self, chat_uid: str) -> None:
        pass  # nothing is kept: the next `chats()` is the fixed list again

    async def resend_invitation(self, chat_uid: str, participant_uid: str) -> Member:
        raise AssertionError("not used in snapshots")

    async def ws_ticket(self, chat_uid: str | None) -> str:
        await asyncio.Event().wait()  # the live stream never connects
        raise AssertionError("never answers")

    async def aclose(self) -> None:
        pass


def chats_app(*, clipboard_commands: Sequence[Sequence[str]] = (), **config: Any) -> PlowApp:
    """The real app, signed in, against `FakePlow`, at `NOW` in UTC."""
    store = TokenStore([MemoryStore()], env={"PLOW_TOKEN": TOKEN})  # signed in: straight to the chats
    options: dict[str, Any] = {"api_url": "https://api.plow.co"}
    options.update(config)
    return PlowApp(
        AppConfig(**options),
        token_store=store,
        client_factory=FakePlow,
        phone_factory=demo_phone,  # offered only with sandbox=True
        clipboard_commands=clipboard_commands,
        **display_options(FixedClock(NOW)),
    )

# -- an Airy conversation ---------------------------------------------------------
# A scripted conversation and stream: fixed times for the pictures, and a send
# that answers only when a test says so (the sandbox tests use the real client).

AIRY_NOW = datetime(2026, 9, 14, 14, 2, tzinfo=timezone.utc)
AIRY_URL = "https://airy.example.com"
AIRY_CHANNEL = "5f1e7c2a-8b4d-4e6f-9a1c-3d2b0e4f6a70"
MIA = AirySender(id="agent-1", name="Mia (Support)")


def airy_message(
    uid: str, text: str, minutes_ago: float, *, visitor: bool, sender: AirySender | None = None, state: str = "delivered"
) -> AiryMessage:
    return AiryMessage(
        id=uid,
        content={"text": text},
        sent_at=AIRY_NOW - timedelta(minutes=minutes_ago),
        delivery_state=state,
        from_contact=visitor,
        sender=None if visitor else sender,
    )


AIRY_HISTORY = (
    airy_message("m1", "Hi! I ordered a lamp last week and it hasn't shipped yet.", 9, visitor=True),
    airy_message("m2", "Hello! Sorry about that. Could you give me the order number?", 8, visitor=False, sender=MIA),
    airy_message("m3", "Sure: #40917", 7, visitor=True),
    airy_message("m4", "Thanks. It leaves the warehouse today: [bold]tracking[/bold] follows by mail.", 5, visitor=False, sender=MIA),
    airy_message("m5", "Great, thank you!", 1, visitor=True),
)


class _NoClient:
    async def aclose(self) -> None:
        pass


class FakeAiryConversation:
    """What the screen uses of `AiryConversation`, scripted.

    `send` answers with the next id once `release` is set (set by default);
    `echo_first` pushes the same message on the stream before answering, as
    a fast socket does.
    """

    def __init__(self, url: str, channel_id: str, store: Any) -> None:
        self.client = _NoClient()
        self.channel_id = channel_id
        self.conversation_id: str | None = "conv-1"
        self.started = True
        self.events: asyncio.Queue[AiryEvent | Exception] = asyncio.Queue()  # an exception ends the stream, raised
        self.release = asyncio.Event()
        self.release.set()
        self.echo_first = False
        self.failure: Exception | None = None
        self.sent: list[str] = []

    async def send(self, text: str) -> AiryMessage:
        await self.release.wait()
        if self.failure is not None:
            raise self.failure
        self.sent.append(text)
        message = airy_message(f"sent-{len(self.sent)}", text, 0, visitor=True)
        if self.echo_first:
            self.events.put_nowait(AiryMessagesArrived((message,)))
            await asyncio.sleep(0.05)  # the echo is shown before the answer
        return message


class FakeAiryStream:
    """Says `live`, hands over `history` as one backfill, then whatever the test queues (an exception: raised, the end)."""

    def __init__(self, conversation: FakeAiryConversation, history: tuple[AiryMessage, ...] = AIRY_HISTORY) -> None:
        self.conversation = conversation
        self.history = history

    async def events(self) -> AsyncIterator[AiryEvent]:
        yield ConnectionChanged("live")
        if self.history:
            yield AiryMessagesArrived(self.history, backfill=True)
        while True:
            event = await self.conversation.events.get()
            if isinstance(event, Exception):
                raise event  # how a stream ends for good, after its last `offline`
            yield event

    async def close(self) -> None:
        pass


def fake_airy_app(history: tuple[AiryMessage, ...] = AIRY_HISTORY, **screen_options: Any) -> AiryApp:
    """The Airy app on fakes, at a fixed time; `app.fake` is its conversation once mounted."""
    app: AiryApp

    def conversation(url: str, channel_id: str, store: Any) -> FakeAiryConversation:
        app.fake = FakeAiryConversation(url, channel_id, store)  # type: ignore[attr-defined]
        return app.fake  # type: ignore[attr-defined]

    options = {"conversation_factory": conversation, "stream_factory": lambda c: FakeAiryStream(c, history)}
    options.update(screen_options)
    app = AiryApp(
        AIRY_URL,
        AIRY_CHANNEL,
        token_store=TokenStore([MemoryStore()], env={}),
        screen_options=options,
        **display_options(FixedClock(AIRY_NOW)),
    )
    return app
