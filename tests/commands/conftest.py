"""A sandbox with one signed-up account, for driving `plow-tui` subcommands against it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest


@dataclass
class SignedUp:
    base_url: str
    token: str
    phone: str
    chat_uid: str
    number: str

    def text(self, body: str, phone: str | None = None) -> str:
        """The account owner's phone texts the chat's line."""
        response = httpx.post(
            f"{self.base_url}/sandbox/sms", json={"from": phone or self.phone, "to": self.number, "text": body}
        )
        response.raise_for_status()
        return response.json()["effect"]

    def sockets(self) -> int:
        """How many /v1 sockets the sandbox has open (a `tail` is live once it has one)."""
        return httpx.get(f"{self.base_url}/sandbox/state").json()["sockets"]

    def fault(self, **body: object) -> None:
        httpx.post(f"{self.base_url}/sandbox/faults", json=body).raise_for_status()


@pytest.fixture
def sandbox() -> Iterator[object]:
    from plow_tui.sandbox import SandboxConfig, SandboxServer

    with SandboxServer(SandboxConfig(port=0, seed=11, delivery_delay_ms=20)) as server:
        yield server


@pytest.fixture
def account(sandbox) -> SignedUp:
    from plow_tui.client.http import PlowClient

    phone = "+15557771234"

    async def sign_up() -> SignedUp:
        async with PlowClient(sandbox.base_url) as api:
            start = await api.activate(name="Ada")
            httpx.post(
                f"{sandbox.base_url}/sandbox/sms", json={"from": phone, "to": start.send_to, "text": start.text}
            ).raise_for_status()
            result = await api.redeem(start.activation_secret)
        assert result.token and result.chat
        return SignedUp(sandbox.base_url, result.token, phone, result.chat.uid, result.chat.number)

    return asyncio.run(sign_up())


@pytest.fixture
def cli_env() -> dict[str, str]:
    """The environment for a `python -m plow_tui` child: the test's HOME and XDG dirs, no keyring."""
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["PYTHONUNBUFFERED"] = "1"
    return env




@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process commands use the 0600 file, as the child processes do (`cli_env`)."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
