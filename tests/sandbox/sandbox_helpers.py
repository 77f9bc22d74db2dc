"""Helpers for the sandbox tests: phones, an HTTP client, sign-in; they only use the wire."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

ADA = "+15555550101"
BOB = "+15555550102"
CAROL = "+15555550103"


@dataclass
class SignedIn:
    """An account signed in through a provisioned activation."""

    token: str
    chat: dict[str, Any]
    line_number: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def chat_uid(self) -> str:
        return self.chat["uid"]


class Api:
    """An httpx client on one sandbox plus the phone-side shortcuts every test needs."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=5)

    def sms(self, sender: str, to: str, text: str) -> str:
        response = self.http.post("/sandbox/sms", json={"from": sender, "to": to, "text": text})
        assert response.status_code == 200, response.text
        return response.json()["effect"]

    def activate(self, name: str | None = "Ada", provision: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"provision_chat": provision}
        if name is not None:
            body["name"] = name
        response = self.http.post("/v1/auth/activate", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def redeem(self, secret: str) -> httpx.Response:
        return self.http.post("/v1/auth/activate/redeem", json={"activation_secret": secret})

    def sign_in(self, phone: str = ADA, name: str = "Ada") -> SignedIn:
        start = self.activate(name)
        assert self.sms(phone, start["send_to"], f"Plow Activate: {start['display_code']}") == "activated"
        answer = self.redeem(start["activation_secret"]).json()
        return SignedIn(token=answer["token"], chat=answer["chat"], line_number=start["send_to"])

    def lines(self, who: SignedIn) -> list[dict[str, Any]]:
        return self.http.get("/v1/lines", headers=who.headers).json()["data"]

    def create_chat(self, who: SignedIn, line_uid: str, *names: str) -> httpx.Response:
        participants: list[dict[str, Any]] = [{"type": "agent", "line_id": line_uid}]
        participants += [{"type": "member", "display_name": n} for n in names]
        return self.http.post("/v1/chats", json={"participants": participants}, headers=who.headers)

    def send(self, who: SignedIn, chat_uid: str, body: str) -> httpx.Response:
        return self.http.post(f"/v1/chats/{chat_uid}/messages", json={"body": body}, headers=who.headers)

    def ticket(self, who: SignedIn, chat_uid: str | None) -> str:
        body = {"chat_id": chat_uid} if chat_uid else {}
        response = self.http.post("/v1/ws/ticket", json=body, headers=who.headers)
        assert response.status_code == 200, response.text
        return response.json()["ticket"]

    def ws_url(self, ticket: str) -> str:
        return self.base_url.replace("http://", "ws://") + f"/v1/ws?ticket={ticket}"

    def texts(self, phone: str) -> list[dict[str, Any]]:
        return self.http.get(f"/sandbox/phones/{phone}/texts").json()["data"]

    def state(self) -> dict[str, Any]:
        return self.http.get("/sandbox/state").json()

    def faults(self, **faults: Any) -> httpx.Response:
        return self.http.post("/sandbox/faults", json=faults)

    def advance(self, seconds: float) -> None:
        """Move the sandbox's clock forward: TTLs run out without waiting for them."""
        self.http.post("/sandbox/clock", json={"advance_seconds": seconds}).raise_for_status()


def frames_of(raw: list[str | bytes]) -> list[dict[str, Any]]:
    return [json.loads(r) for r in raw]
