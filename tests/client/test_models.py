"""`ChatMessage.from_json` / `Sender.from_json`: the fast path for the server's own shape gives what the general parse gives."""

from __future__ import annotations

import random

from plow_tui.client.models import ChatMessage, Sender

ODD = [None, "", "x", 1, 0, 2.5, [], {}, {"provider_key": "+1"}, True]


def fields(message: ChatMessage) -> tuple:
    s = message.sender
    return (message.uid, message.chat_uid, message.direction, message.body, message.status, message.created_at,
            s.type, s.uid, s.display_name, s.provider_key, s.role)  # fmt: skip


def test_the_fast_path_parses_as_the_general_one() -> None:
    rng = random.Random(7)
    for _ in range(5000):
        obj = {k: rng.choice(ODD) for k in ("uid", "chat_uid", "direction", "body", "status") if rng.random() < 0.8}
        if rng.random() < 0.8:
            keys = ("type", "uid", "display_name", "provider_key", "role", "line")
            obj["sender"] = {k: rng.choice(ODD) for k in keys if rng.random() < 0.7}
        obj["created_at"] = rng.choice([None, "2026-01-01T00:00:00Z", "2026-01-01 00:00:00", 5])
        assert fields(ChatMessage.from_json(obj)) == fields(ChatMessage.parse(obj)), obj
    for junk in (None, [], "x", 3):
        assert fields(ChatMessage.from_json(junk)) == fields(ChatMessage.parse(junk))
        assert Sender.from_json(junk) == Sender.parse(junk)


def test_the_servers_shape_takes_the_fast_path_whole() -> None:
    obj = {"uid": "msg_1", "chat_uid": "cht_1", "direction": "inbound", "body": "hi", "status": "received",
           "sender": {"type": "member", "uid": "cp_1", "display_name": "Ada", "provider_key": "+15555550101", "role": "owner"},
           "created_at": "2026-09-14T12:00:00Z"}  # fmt: skip
    message = ChatMessage.from_json(obj)
    assert fields(message) == fields(ChatMessage.parse(obj))
    assert message.raw is obj and message.sender.raw is obj["sender"]
    assert message.sender.display_name == "Ada" and message.created_at is not None
