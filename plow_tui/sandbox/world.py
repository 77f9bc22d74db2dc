"""The sandbox's in-memory world and the rules of PROTOCOL.md §2–§7, with no I/O.

Everything here runs on the server's single event loop, so no locks are needed.
Time comes from an injectable clock (epoch seconds, so persisted deadlines keep
their meaning across restarts) and randomness from one `random.Random`, seeded
when the sandbox is given `--seed`. Whatever a socket must hear is published as
an event to listeners the app layer registers: the world never touches a socket.
"""

from __future__ import annotations

import random
import re
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plow_tui.sandbox.config import DELIVERY_MODES, SandboxConfig
from plow_tui.sandbox.records import (
    Account,
    Activation,
    Chat,
    Line,
    Member,
    Message,
    PhoneText,
    Ticket,
    TokenRecord,
    chat_wire,
    digest,
    iso,
    message_wire,
)

ACTIVATE_RE = re.compile(r"^\s*Plow Activate:\s*(\S+)", re.IGNORECASE)
E164_RE = re.compile(r"^\+[1-9][0-9]{1,14}$")
LINE_NAMES = ("Elm", "Oak", "Ash", "Birch", "Cedar", "Maple", "Pine", "Willow", "Rowan", "Alder")
FIRST_LINE_NUMBER = 15550000001

_UPPER_ALNUM = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits


class WorldError(Exception):
    """A request the rules refuse: an HTTP status, an optional code, a sentence."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ChatEvent:
    """Something sockets subscribed to a chat (or to all of an account's chats) must hear."""

    event_id: str
    account_uid: str
    chat_uid: str
    type: str
    payload: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class PhoneTextEvent:
    """A line texted a phone."""

    phone: str
    text: dict[str, Any]


@dataclass(frozen=True)
class SentMessage:
    """The answer to a send, and the delivery update the app must apply later (if any)."""

    message: dict[str, Any]
    uid: str
    update_to: str | None
    delay_s: float
    reason: str | None = None  # why, when update_to is "failed"


@dataclass
class Faults:
    """The network faults in force (PROTOCOL.md §7)."""

    delivery: str = "delivered"
    delivery_delay_ms: int = 200
    failure_reason: str | None = None  # given with failed deliveries (None: no reason, as before)
    fail_status: int = 0
    fail_count: int = 0


Listener = Callable[[ChatEvent | PhoneTextEvent], None]


class World:
    """Accounts, tokens, activations, lines, chats, messages, tickets and phones."""

    def __init__(
        self,
        config: SandboxConfig,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        if rng is None:
            rng = random.Random(config.seed) if config.seed is not None else random.SystemRandom()
        self.rng = rng
        self.faults = Faults(delivery=config.delivery, delivery_delay_ms=config.delivery_delay_ms)
        self.lines: list[Line] = []
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, TokenRecord] = {}
        self.activations: dict[str, Activation] = {}
        self.chats: dict[str, Chat] = {}
        self.tickets: dict[str, Ticket] = {}
        self.phone_texts: dict[str, list[PhoneText]] = {}
        self.revision = 0  # bumped on every change worth persisting
        self._used_ids: set[str] = set()
        self._messages: dict[str, Message] = {}  # by uid, for delivery updates
        self._listeners: list[Listener] = []
        self.add_lines(config.lines)

    # ----------------------------------------------------------------- plumbing

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _publish(self, event: ChatEvent | PhoneTextEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def _changed(self) -> None:
        self.revision += 1

    def _random(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def reindex_ids(self) -> None:
        """Rebuild the set of ids in use (after a restore replaced the records)."""
        self._used_ids = {ln.uid for ln in self.lines} | set(self.accounts) | set(self.chats)
        self._messages = {m.uid: m for chat in self.chats.values() for m in chat.messages}
        self._used_ids.update(self._messages)
        for chat in self.chats.values():
            self._used_ids.update(m.uid for m in chat.members)

    def new_id(self, prefix: str) -> str:
        while True:
            uid = f"{prefix}_{self._random(_ALNUM, 20)}"
            if uid not in self._used_ids:
                self._used_ids.add(uid)
                return uid

    def _chat_event(self, chat: Chat, type_: str, payload: dict[str, Any]) -> None:
        self._publish(
            ChatEvent(
                event_id=self.new_id("evt"),
                account_uid=chat.account_uid,
                chat_uid=chat.uid,
                type=type_,
                payload=payload,
                created_at=iso(self.clock()),
            )
        )

    def add_lines(self, count: int) -> None:
        """Grow the pool to `count` lines (`+15550000001` upwards)."""
        while len(self.lines) < count:
            n = len(self.lines)
            name = LINE_NAMES[n] if n < len(LINE_NAMES) else f"Line {n + 1}"
            self.lines.append(Line(self.new_id("ln"), f"+{FIRST_LINE_NUMBER + n}", name))

    def line(self, uid: str) -> Line | None:
        return next((ln for ln in self.lines if ln.uid == uid), None)

    def line_by_number(self, number: str) -> Line | None:
        return next((ln for ln in self.lines if ln.provider_key == number), None)

    def chat_wire(self, chat: Chat, *, with_codes: bool = False) -> dict[str, Any]:
        return chat_wire(chat, self._line_of(chat), with_codes=with_codes)

    def _line_of(self, chat: Chat) -> Line:
        line = self.line(chat.line_uid)
        assert line is not None, "chats only ever reference pool lines"
        return line

    def _message_wire(self, message: Message, chat: Chat) -> dict[str, Any]:
        return message_wire(message, chat, self._line_of(chat))

    # --------------------------------------------------------------- activation

    def _activation_live(self, act: Activation, now: float) -> bool:
        # `<=`: a completion that races the deadline is honoured.
        return act.verified_at is None and now <= act.created_at + self.config.activation_ttl

    def start_activation(self, name: str | None, provision_chat: bool) -> tuple[str, dict[str, Any]]:
        """Start a sign-in; returns the secret and the 200 body."""
        now = self.clock()
        line = self._pick_line(now, reserve=provision_chat)
        live_codes = {a.code for a in self.activations.values() if self._activation_live(a, now)}
        code = self._random(_UPPER_ALNUM, 5)
        while code in live_codes:
            code = self._random(_UPPER_ALNUM, 5)
        secret = f"act_{self._random(_ALNUM, 32)}"
        self.activations[digest(secret)] = Activation(
            code=code, line_uid=line.uid, name=name, provision_chat=provision_chat, created_at=now
        )
        self._changed()
        body = {
            "display_code": code,
            "activation_secret": secret,
            "send_to": line.provider_key,
            "line_id": line.uid,
        }
        return secret, body

    def _pick_line(self, now: float, *, reserve: bool) -> Line:
        """The pool line with the fewest chats that no pending provisioning activation holds."""
        held = {a.line_uid for a in self.activations.values() if a.provision_chat and self._activation_live(a, now)}
        candidates = [ln for ln in self.lines if ln.uid not in held] if reserve else list(self.lines)
        if not candidates:
            raise WorldError(503, "No pool line is free right now; try again in a few minutes.", "no_line_available")
        chats_per_line = {ln.uid: 0 for ln in self.lines}
        for chat in self.chats.values():
            if not chat.deleted:
                chats_per_line[chat.line_uid] += 1
        return min(candidates, key=lambda ln: chats_per_line[ln.uid])

    def redeem(self, secret: str) -> dict[str, Any]:
        act = self.activations.get(digest(secret))
        if act is None:
            raise WorldError(404, "Unknown activation secret.", "activation_not_found")
        if act.verified_at is None:
            if self._activation_live(act, self.clock()):
                return {"status": "pending"}
            raise WorldError(
                410, "This activation expired before it was completed; start a new one.", "activation_expired"
            )
        if act.token_issued:
            return {"status": "verified"}
        assert act.account_uid is not None
        token = f"plw_{self._random(_ALNUM, 40)}"
        self.tokens[digest(token)] = TokenRecord(account_uid=act.account_uid)
        act.token_issued = True
        self._changed()
        chat = self.chats.get(act.chat_uid or "")
        return {
            "status": "verified",
            "token": token,
            "chat": self.chat_wire(chat) if chat is not None and not chat.deleted else None,
        }

    def _complete_activation(self, act: Activation, phone: str, line: Line) -> None:
        now = self.clock()
        account = self._account_for_phone(phone, act.name, now)
        act.verified_at = now
        act.account_uid = account.uid
        # The right code sent to another Plow number signs in without a chat.
        if act.provision_chat and line.uid == act.line_uid:
            # A returning person keeps their chat with themselves, whichever pool
            # line this sign-in reserved (our choice, where PROTOCOL.md only says
            # "one per line"): signing in again must not add a chat each time.
            # Their name is the account's: a sign-in's default name (the login
            # name) does not rename them.
            chat = self._one_to_one(account, line) or self._one_to_one(account, None)
            if chat is None:
                chat = self._provision_chat(account, phone, line, account.name or act.name, now)
            act.chat_uid = chat.uid

    def _account_for_phone(self, phone: str, name: str | None, now: float) -> Account:
        for account in self.accounts.values():
            if account.phone == phone:
                if account.name is None and name:
                    account.name = name
                return account
        account = Account(uid=self.new_id("acct"), phone=phone, name=name, created_at=now)
        self.accounts[account.uid] = account
        return account

    def _one_to_one(self, account: Account, line: Line | None) -> Chat | None:
        """The account owner's active chat with only themselves, on `line` (None: on any line)."""
        for chat in self.chats.values():
            if (
                chat.account_uid == account.uid
                and (line is None or chat.line_uid == line.uid)
                and not chat.deleted
                and chat.status == "active"
                and len(chat.members) == 1
                and chat.members[0].phone == account.phone
            ):
                return chat
        return None

    def _provision_chat(self, account: Account, phone: str, line: Line, name: str | None, now: float) -> Chat:
        # The owner's activation text already verified them: the chat is active at once.
        member = Member(
            uid=self.new_id("cp"), display_name=name, role="owner", created_at=now, phone=phone, verified_at=now
        )
        chat = Chat(
            uid=self.new_id("cht"),
            account_uid=account.uid,
            line_uid=line.uid,
            status="active",
            created_at=now,
            members=[member],
            last_activity=now,
        )
        self.chats[chat.uid] = chat
        # An all-chats socket of the same account learns about the new chat.
        self._chat_event(chat, "chat_active", {"chat": self.chat_wire(chat)})
        return chat

    # -------------------------------------------------------------------- tokens

    def authenticate(self, token: str | None) -> tuple[Account, str]:
        """The account behind a Bearer token, and the token's digest; 401 otherwise."""
        if not token:
            raise WorldError(401, "Missing Bearer token.")
        token_digest = digest(token)
        record = self.tokens.get(token_digest)
        if record is None or record.revoked:
            raise WorldError(401, "Invalid or revoked token.")
        return self.accounts[record.account_uid], token_digest

    def token_revoked(self, token_digest: str) -> bool:
        record = self.tokens.get(token_digest)
        return record is None or record.revoked

    def revoke_token(self, token: str) -> str | None:
        """Revoke a token; returns its digest, or None when the sandbox never minted it."""
        token_digest = digest(token)
        record = self.tokens.get(token_digest)
        if record is None:
            return None
        record.revoked = True
        self._changed()
        return token_digest

    def revoke_all_tokens(self) -> list[str]:
        """Revoke every token still valid (`{"revoke_token": "all"}`); returns their digests.

        `--sandbox` never shows its token, so a script revoking "the app's
        token" cannot name it: this is how it signs every client out.
        """
        digests = [token_digest for token_digest, record in self.tokens.items() if not record.revoked]
        for token_digest in digests:
            self.tokens[token_digest].revoked = True
        if digests:
            self._changed()
        return digests

    # --------------------------------------------------------------------- chats

    def _owned_chat(self, account: Account, chat_uid: str) -> Chat:
        chat = self.chats.get(chat_uid)
        # Another account's chat is as unknown as a missing one: no existence leak.
        if chat is None or chat.deleted or chat.account_uid != account.uid:
            raise WorldError(404, "Chat not found.")
        return chat

    def list_chats(self, account: Account) -> list[dict[str, Any]]:
        chats = [
            c
            for c in self.chats.values()
            if c.account_uid == account.uid and not c.deleted and c.status in ("pending", "active")
        ]
        chats.sort(key=lambda c: c.created_at, reverse=True)
        return [self.chat_wire(c) for c in chats]

    def get_chat(self, account: Account, chat_uid: str) -> dict[str, Any]:
        return self.chat_wire(self._owned_chat(account, chat_uid))

    def create_chat(
        self, account: Account, line_uid: str, member_names: list[str], display_name: str | None
    ) -> dict[str, Any]:
        line = self.line(line_uid)
        if line is None:
            raise WorldError(422, f"participants: unknown line_id {line_uid!r}.")
        now = self.clock()
        chat = Chat(
            uid=self.new_id("cht"),
            account_uid=account.uid,
            line_uid=line.uid,
            status="pending",
            created_at=now,
            display_name=display_name,
            last_activity=now,
        )
        for name in member_names:
            member = Member(uid=self.new_id("cp"), display_name=name, role="member", created_at=now)
            self._issue_code(member, now)
            chat.members.append(member)
        self.chats[chat.uid] = chat
        self._changed()
        return self.chat_wire(chat, with_codes=True)

    def _issue_code(self, member: Member, now: float) -> None:
        live = {
            m.code
            for c in self.chats.values()
            for m in c.members
            if m.code is not None and m.code_expires_at is not None and m.code_expires_at >= now
        }
        code = f"VERIFY-{self._random(_UPPER_ALNUM, 6)}"
        while code in live:
            code = f"VERIFY-{self._random(_UPPER_ALNUM, 6)}"
        member.code = code
        member.code_expires_at = now + self.config.member_code_ttl

    def delete_chat(self, account: Account, chat_uid: str) -> dict[str, Any]:
        chat = self._owned_chat(account, chat_uid)
        chat.deleted = True
        self._changed()
        return {"uid": chat.uid, "object": "chat", "deleted": True}

    def resend_invitation(self, account: Account, chat_uid: str, participant_uid: str) -> dict[str, Any]:
        chat = self._owned_chat(account, chat_uid)
        member = chat.member(participant_uid)
        if member is None:
            raise WorldError(404, "Participant not found.")
        if member.verified_at is not None:
            raise WorldError(409, "This participant is already verified.", "participant_already_verified")
        if chat.status == "failed":
            raise WorldError(409, "This chat failed; delete it and create a new one.", "chat_failed")
        self._issue_code(member, self.clock())
        self._changed()
        return member.wire(with_code=True)

    def fail_chat(self, chat_uid: str, reason: str) -> dict[str, Any]:
        chat = self.chats.get(chat_uid)
        if chat is None or chat.deleted:
            raise WorldError(404, "Chat not found.")
        if chat.status != "failed":
            chat.status = "failed"
            chat.failure_reason = reason
            self._changed()
            self._chat_event(
                chat, "chat_activation_failed", {"reason": reason, "message": f"Chat activation failed: {reason}"}
            )
        return self.chat_wire(chat)

    # ------------------------------------------------------------------ messages

    def send_message(self, account: Account, chat_uid: str, body: str) -> SentMessage:
        chat = self._owned_chat(account, chat_uid)
        if chat.status != "active":
            raise WorldError(409, f"The chat is {chat.status}, not active yet.", "chat_not_ready")
        now = self.clock()
        message = Message(
            uid=self.new_id("msg"), chat_uid=chat.uid, direction="outbound", body=body, status="sent", created_at=now
        )
        self._add_message(chat, message)
        self._changed()
        wire = self._message_wire(message, chat)
        self._chat_event(chat, "message_received", {"message": wire})
        mode = self.faults.delivery
        if mode != "failed":
            line = self._line_of(chat)
            for member in chat.members:
                if member.phone is not None:
                    self._text_phone(PhoneText(sender=line.provider_key, to=member.phone, text=body, sent_at=now))
        return SentMessage(
            message=wire,
            uid=message.uid,
            update_to=None if mode == "none" else mode,
            delay_s=self.faults.delivery_delay_ms / 1000,
            reason=self.faults.failure_reason if mode == "failed" else None,
        )

    def set_message_status(self, message_uid: str, status: str, reason: str | None = None) -> None:
        """Apply a delivery update (the app calls this after the delivery delay)."""
        message = self._messages.get(message_uid)
        if message is None:
            return
        chat = self.chats[message.chat_uid]
        message.status = status
        message.failure_reason = reason if status == "failed" else None
        self._changed()
        if not chat.deleted:
            self._chat_event(chat, "message_status_updated", {"message": self._message_wire(message, chat)})

    def _add_message(self, chat: Chat, message: Message) -> None:
        chat.messages.append(message)
        chat.last_activity = message.created_at
        self._messages[message.uid] = message

    def list_messages(
        self, account: Account, chat_uid: str, limit: int, starting_after: str | None
    ) -> tuple[list[dict[str, Any]], bool]:
        """A page of messages, newest first; `starting_after` pages to older ones."""
        chat = self._owned_chat(account, chat_uid)
        newest_first = chat.messages[::-1]
        start = 0
        if starting_after is not None:
            index = next((i for i, m in enumerate(newest_first) if m.uid == starting_after), None)
            if index is None:
                raise WorldError(422, f"starting_after: no message {starting_after!r} in this chat.")
            start = index + 1
        page = newest_first[start : start + limit]
        has_more = start + limit < len(newest_first)
        return [self._message_wire(m, chat) for m in page], has_more

    def _text_phone(self, text: PhoneText) -> None:
        self.phone_texts.setdefault(text.to, []).append(text)
        self._publish(PhoneTextEvent(phone=text.to, text=text.wire()))

    def texts_of(self, phone: str) -> list[dict[str, Any]]:
        return [t.wire() for t in self.phone_texts.get(phone, [])]

    # ------------------------------------------------------------ inbound texts

    def receive_text(self, sender: str, to: str, text: str) -> str:
        """A phone texts a number; returns the effect (PROTOCOL.md §7)."""
        line = self.line_by_number(to)
        if line is None:
            return "ignored"
        now = self.clock()
        match = ACTIVATE_RE.match(text)
        if match:
            code = match.group(1).upper()
            for act in self.activations.values():
                if act.code == code and self._activation_live(act, now):
                    self._complete_activation(act, sender, line)
                    self._changed()
                    return "activated"
        found = self._pending_member_with_code(text.strip(), line, now)
        if found is not None:
            self._verify_member(*found, sender, now)
            self._changed()
            return "member_verified"
        chat_member = self._chat_for_inbound(sender, line)
        if chat_member is not None:
            self._store_inbound(*chat_member, text, now)
            self._changed()
            return "message"
        return "ignored"

    def _pending_member_with_code(self, body: str, line: Line, now: float) -> tuple[Chat, Member] | None:
        if not body.startswith("VERIFY-"):
            return None
        for chat in self.chats.values():
            if chat.line_uid != line.uid or chat.deleted or chat.status != "pending":
                continue
            for member in chat.members:
                if (
                    member.verified_at is None
                    and member.code == body
                    and member.code_expires_at is not None
                    and now <= member.code_expires_at
                ):
                    return chat, member
        return None

    def _verify_member(self, chat: Chat, member: Member, phone: str, now: float) -> None:
        member.phone = phone
        member.verified_at = now
        member.code = None
        member.code_expires_at = None
        account = self.accounts.get(chat.account_uid)
        if account is not None and account.phone == phone:
            member.role = "owner"
        chat.last_activity = now
        self._chat_event(chat, "participant_verified", {"participant": member.wire()})
        if all(m.verified_at is not None for m in chat.members):
            chat.status = "active"
            self._chat_event(chat, "chat_active", {"chat": self.chat_wire(chat)})

    def _chat_for_inbound(self, phone: str, line: Line) -> tuple[Chat, Member] | None:
        # A phone in several chats on one line: the most recently active one gets the text.
        best: tuple[Chat, Member] | None = None
        for chat in self.chats.values():
            if chat.line_uid != line.uid or chat.deleted or chat.status == "failed":
                continue
            member = next((m for m in chat.members if m.phone == phone and m.verified_at is not None), None)
            if member is not None and (best is None or chat.last_activity >= best[0].last_activity):
                best = (chat, member)
        return best

    def _store_inbound(self, chat: Chat, member: Member, text: str, now: float) -> None:
        message = Message(
            uid=self.new_id("msg"),
            chat_uid=chat.uid,
            direction="inbound",
            body=text,
            status="received",
            created_at=now,
            sender_uid=member.uid,
        )
        self._add_message(chat, message)
        self._chat_event(chat, "message_received", {"message": self._message_wire(message, chat)})

    # ------------------------------------------------------------------- tickets

    def mint_ticket(self, account: Account, token_digest: str, chat_uid: str | None) -> dict[str, Any]:
        if chat_uid is not None:
            self._owned_chat(account, chat_uid)
        now = self.clock()
        # Forget dead tickets so a long-running sandbox does not grow without bound.
        self.tickets = {k: t for k, t in self.tickets.items() if t.expires_at >= now}
        ticket = f"wst_{self._random(_ALNUM, 32)}"
        expires_at = now + self.config.ticket_ttl
        self.tickets[digest(ticket)] = Ticket(
            token_digest=token_digest, account_uid=account.uid, chat_uid=chat_uid, expires_at=expires_at
        )
        return {"object": "ws_ticket", "ticket": ticket, "expires_at": iso(expires_at)}

    def use_ticket(self, ticket: str) -> Ticket | None:
        """Consume a ticket: None if unknown, expired or already used."""
        record = self.tickets.pop(digest(ticket), None)
        if record is None or self.clock() > record.expires_at:
            return None
        return record

    # ------------------------------------------------------------------- sandbox

    def set_faults(
        self,
        *,
        delivery: str | None = None,
        delivery_delay_ms: int | None = None,
        fail_next: tuple[int, int] | None = None,
        failure_reason: str | None = None,
    ) -> None:
        """Change the faults given (None: leave as is; an empty `failure_reason` clears it)."""
        if failure_reason is not None:
            self.faults.failure_reason = failure_reason or None
        if delivery is not None:
            if delivery not in DELIVERY_MODES:
                raise WorldError(422, f"delivery must be one of {', '.join(DELIVERY_MODES)}.")
            self.faults.delivery = delivery
        if delivery_delay_ms is not None:
            self.faults.delivery_delay_ms = delivery_delay_ms
        if fail_next is not None:
            self.faults.fail_status, self.faults.fail_count = fail_next

    def take_injected_failure(self) -> int | None:
        """The status to answer this /v1 request with, when `fail_next` is in force."""
        if self.faults.fail_count <= 0:
            return None
        self.faults.fail_count -= 1
        return self.faults.fail_status

    def state(self, sockets: int) -> dict[str, Any]:
        counts = {"pending": 0, "active": 0, "failed": 0}
        messages = 0
        for chat in self.chats.values():
            if not chat.deleted:
                counts[chat.status] += 1
                messages += len(chat.messages)
        return {
            "accounts": len(self.accounts),
            "lines": [{"uid": ln.uid, "provider_key": ln.provider_key} for ln in self.lines],
            "chats": counts,
            "messages": messages,
            "sockets": sockets,
        }
