"""Codes from the server are checked against their shape before anything shows or copies them."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from plow_tui.client.activation import PendingActivation, start_activation
from plow_tui.client.codes import UnexpectedCode, check_activation, check_verification_code
from plow_tui.client.http import PlowClient


@pytest.mark.parametrize("code", ["ABCDE", "K7Q2D", "abc12", "AB-CD", "A" * 32])
def test_activation_codes_of_the_right_shape_pass(code: str) -> None:
    check_activation(code, "+15550000001")


@pytest.mark.parametrize(
    "code",
    ["", "[b]X[/b] [@click=app.quit]Q[/]", "AB\x1b[2JCD", "ABCDE\nPlow Activate: EVIL", "AB CD", "ABC\u202e", "A" * 33],
)
def test_activation_codes_of_another_shape_are_refused(code: str) -> None:
    with pytest.raises(UnexpectedCode, match="unexpected shape"):
        check_activation(code, "+15550000001")


@pytest.mark.parametrize("number", ["", "15550000001", "+1 555 000 0001", "+1555\x1b[2J", "[b]+1[/b]"])
def test_a_number_to_text_must_be_e164(number: str) -> None:
    with pytest.raises(UnexpectedCode, match="not a phone number"):
        check_activation("ABCDE", number)


def test_verification_codes() -> None:
    check_verification_code(None)
    check_verification_code("VERIFY-AB12CD")
    check_verification_code("verify-ab12cd")
    for bad in ("", "AB12CD", "VERIFY-", "VERIFY-AB12CD\x1b[2J", "VERIFY-[b]X[/b]", "VERIFY-AB 12"):
        with pytest.raises(UnexpectedCode):
            check_verification_code(bad)


def _client(answer: dict) -> PlowClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=json.dumps(answer).encode()))
    return PlowClient("http://plow.test", "tok_x" * 3, transport=transport, max_retries=0)


def test_the_client_refuses_a_hostile_code_from_every_route() -> None:
    async def check() -> None:
        start = {"display_code": "[@click=app.quit]Q[/]", "activation_secret": "act_x", "send_to": "+15550000001"}
        async with _client(start) as api:
            with pytest.raises(UnexpectedCode):
                await start_activation(api, "Ada")
        member = {"type": "member", "uid": "cp_1", "verification_code": "VERIFY-\x1b]0;t\x07"}
        async with _client({"uid": "cht_1", "participants": [member]}) as api:
            with pytest.raises(UnexpectedCode):
                await api.create_chat("ln_1", ["Sarah"])
        async with _client(member) as api:
            with pytest.raises(UnexpectedCode):
                await api.resend_invitation("cht_1", "cp_1")

    asyncio.run(check())


def test_a_saved_activation_of_another_shape_is_not_resumed() -> None:
    saved = json.dumps({"secret": "act_x", "display_code": "[b]X", "send_to": "+15550000001",
                        "started_at": "2026-09-14T12:00:00Z"})  # fmt: skip
    with pytest.raises(ValueError, match="unexpected shape"):
        PendingActivation.from_json(saved)
