"""A small client for the sandbox's simulated phones (PROTOCOL §7).

`SandboxPhone` is what the TUI's simulated phone speaks: it reads the texts
lines sent to one number (`GET /sandbox/phones/{phone}/texts`, then live over
`WS /sandbox/phones/{phone}`) and texts a line (`POST /sandbox/sms`). These
routes exist only on the sandbox; nothing here carries a token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from plow_tui.client.errors import NetworkError, PlowError, ValidationFailed, error_from_response
from plow_tui.client.models import parse_time
from plow_tui.client.numbers import normalize_phone
from plow_tui.client.urls import normalize_base_url

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class PhoneText:
    """One text a line sent to a simulated phone (or, locally, one the phone sent)."""

    sender: str
    to: str
    text: str
    sent_at: datetime | None = None

    @classmethod
    def from_json(cls, obj: Any) -> PhoneText:
        obj = obj if isinstance(obj, dict) else {}
        text = obj.get("text")
        return cls(
            sender=str(obj.get("from") or ""),
            to=str(obj.get("to") or ""),
            text=text if isinstance(text, str) else ("" if text is None else str(text)),
            sent_at=parse_time(obj.get("sent_at")),
        )


class SandboxPhone:
    """The handset of one phone number on a sandbox server.

    `texts()` and `send()` are plain HTTP; `live()` yields texts as they
    arrive over the phone's WebSocket until the socket closes (the caller
    decides whether to reconnect). Errors are `PlowError`s with one sentence.
    """

    def __init__(self, base_url: str, phone: str, *, timeout: float = 10.0) -> None:
        import httpx

        self.base_url = normalize_base_url(base_url)
        self.phone = normalize_phone(phone)
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, follow_redirects=False)

    def __repr__(self) -> str:
        return f"SandboxPhone({self.base_url!r}, {self.phone!r})"

    async def __aenter__(self) -> SandboxPhone:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def _path(self) -> str:
        return f"/sandbox/phones/{quote(self.phone, safe='')}"

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise NetworkError(f"Could not reach the sandbox at {self.base_url}.") from exc
        if response.status_code == 404 and path.startswith("/sandbox"):
            raise PlowError(f"{self.base_url} is not a sandbox: it has no simulated phones.", status=404)
        if not response.is_success:
            raise error_from_response(response)
        try:
            return response.json()
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            raise PlowError("The sandbox answered with something that is not JSON.") from exc

    async def texts(self) -> list[PhoneText]:
        """Every text lines have sent this phone, oldest first."""
        payload = await self._call("GET", f"{self._path}/texts")
        data = payload.get("data") if isinstance(payload, dict) else payload
        return [PhoneText.from_json(item) for item in data or [] if isinstance(item, dict)]

    async def send(self, to: str, text: str) -> str:
        """Text the line `to`; returns the sandbox's `effect` (`activated`, `message`, `ignored`...)."""
        try:
            to = normalize_phone(to)
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from exc
        payload = await self._call("POST", "/sandbox/sms", json={"from": self.phone, "to": to, "text": text})
        effect = payload.get("effect") if isinstance(payload, dict) else None
        return str(effect) if effect else "sent"

    async def lines(self) -> list[str]:
        """The numbers of the sandbox's lines (from `GET /sandbox/state`)."""
        payload = await self._call("GET", "/sandbox/state")
        lines = payload.get("lines") if isinstance(payload, dict) else None
        numbers = []
        for line in lines or []:
            if isinstance(line, dict) and isinstance(line.get("provider_key"), str):
                numbers.append(line["provider_key"])
        return numbers

    def _ws_url(self) -> str:
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + self._path, "", ""))

    async def live(self, on_open: Callable[[], Awaitable[None]] | None = None) -> AsyncIterator[PhoneText]:
        """Texts as they arrive, until the socket closes. Raises NetworkError if it cannot connect.

        `on_open` runs once the socket is open and before any text is read:
        loading the inbox there, rather than before connecting, loses no text
        that arrives in between (at worst one shows up twice; dedupe by value).
        """
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        try:
            socket = await connect(self._ws_url(), open_timeout=10)
        except (OSError, TimeoutError) as exc:
            raise NetworkError(f"Could not reach the sandbox at {self.base_url}.") from exc
        except InvalidHandshake as exc:
            # A server that refuses the upgrade has no phone sockets: not a sandbox.
            raise PlowError(f"{self.base_url} is not a sandbox: it has no simulated phones.") from exc
        try:
            if on_open is not None:
                await on_open()
            async for frame in socket:
                try:
                    obj = json.loads(frame)
                except (TypeError, ValueError, RecursionError):
                    log.warning("ignoring a phone frame that is not JSON")
                    continue
                if isinstance(obj, dict) and "text" in obj:
                    yield PhoneText.from_json(obj)
        except ConnectionClosed:
            return
        finally:
            await socket.close()
