"""Helpers that play the people with phones against a running sandbox."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx

from plow_tui.client.http import PlowClient
from plow_tui.client.models import Chat

_phones = itertools.count(1)


def new_phone() -> str:
    """A fresh E.164 number per call, so each test is its own account."""
    return f"+1555777{next(_phones):04d}"


@dataclass
class Account:
    token: str
    phone: str
    chat: Chat


async def text(base_url: str, phone: str, to: str, body: str) -> str:
    """A phone texts a line; returns the sandbox's `effect`."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/sandbox/sms", json={"from": phone, "to": to, "text": body})
        response.raise_for_status()
        return response.json()["effect"]


async def fault(base_url: str, **body: object) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        (await http.post("/sandbox/faults", json=body)).raise_for_status()


async def sign_up(base_url: str, name: str = "Ada") -> Account:
    """Activate with a provisioned chat, the whole way through, as a person would."""
    phone = new_phone()
    async with PlowClient(base_url) as api:
        start = await api.activate(name=name, provision_chat=True)
        assert await text(base_url, phone, start.send_to, start.text) == "activated"
        result = await api.redeem(start.activation_secret)
    assert result.verified and result.token and result.chat is not None
    return Account(result.token, phone, result.chat)
