"""Tolerant reading of Airy messages in every documented shape."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from plow_tui.client.airy.models import AiryMessage, AiryPush, parse_time


def test_server_shape() -> None:
    message = AiryMessage.from_json(
        {
            "id": "m1",
            "content": {"text": "Hello"},
            "delivery_state": "delivered",
            "from_contact": True,
            "sent_at": "2021-03-24T12:00:00.123Z",
            "sender": {"id": "airy-core-anonymous", "name": "Visitor", "avatar_url": "https://x/a.png"},
            "metadata": {"sentFrom": "iPhone"},
            "source": "chatplugin",
        }
    )
    assert message.id == "m1"
    assert message.text == "Hello"
    assert message.delivery_state == "delivered"
    assert message.from_contact is True
    assert message.sent_at == datetime(2021, 3, 24, 12, 0, 0, 123000, tzinfo=timezone.utc)
    assert message.sender is not None and message.sender.name == "Visitor"
    assert message.metadata == {"sentFrom": "iPhone"}
    assert message.source == "chatplugin"


def test_newer_page_shape_state_upper_case() -> None:
    message = AiryMessage.from_json({"id": "m2", "content": {"text": "x"}, "state": "DELIVERED", "from_contact": False})
    assert message.delivery_state == "delivered"
    assert message.from_contact is False


@pytest.mark.parametrize(("sender_type", "visitor"), [("source_contact", True), ("app_user", False), (None, False)])
def test_older_page_sender_type(sender_type: str | None, visitor: bool) -> None:
    message = AiryMessage.from_json({"id": "m3", "content": {"text": "x"}, "state": "PENDING", "sender_type": sender_type})
    assert message.from_contact is visitor
    assert message.delivery_state == "pending"


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ({"text": "Yes", "postbackData": "yes"}, "Yes"),
        ({"postbackData": "yes"}, "yes"),
        ({"attachment": {"type": "image", "payload": {"url": "https://x/cat.png"}}}, "[image] https://x/cat.png"),
        ({"attachments": [{"type": "file", "payload": {"url": "https://x/a.pdf"}}]}, "[file] https://x/a.pdf"),
        ({"text": "Pick", "quickreplies": [{"title": "A"}, {"title": "B"}]}, "Pick\n[choices] A | B"),
        ('{"text": "from a JSON string"}', "from a JSON string"),
        ("plain string", "plain string"),
        ({"richCard": {"title": "T"}}, '{"richCard":{"title":"T"}}'),
        (None, ""),
        (42, "42"),
    ],
)
def test_content_renders_sensibly(content, text: str) -> None:
    assert AiryMessage.from_json({"id": "m", "content": content}).text == text


def test_garbage_does_not_crash() -> None:
    for junk in (None, [], "x", {"id": 5, "sender": "nope", "metadata": [], "sent_at": "yesterday", "from_contact": "yes"}):
        message = AiryMessage.from_json(junk)
        assert isinstance(message.text, str)
    assert AiryMessage.from_json({"id": 5}).id == "5"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-03-24T12:00:00Z", datetime(2021, 3, 24, 12, tzinfo=timezone.utc)),
        ("2021-03-24T14:00:00.000+0200", datetime(2021, 3, 24, 12, tzinfo=timezone.utc)),
        ("2021-03-24T12:00:00", datetime(2021, 3, 24, 12, tzinfo=timezone.utc)),
        (1616587200000, datetime(2021, 3, 24, 12, tzinfo=timezone.utc)),
        ("not a date", None),
        (True, None),
    ],
)
def test_sent_at_is_utc(value, expected) -> None:
    assert parse_time(value) == expected


def test_push_with_and_without_envelope_fields() -> None:
    push = AiryPush.from_json({"conversation_id": "c", "channel_id": "ch", "message": {"id": "m", "content": {"text": "t"}}})
    assert push is not None and push.conversation_id == "c" and push.message.text == "t"
    bare = AiryPush.from_json({"message": {"id": "m"}})
    assert bare is not None and bare.conversation_id is None
    assert AiryPush.from_json({"message": "nope"}) is None
    assert AiryPush.from_json({"message": {"content": {}}}) is None
