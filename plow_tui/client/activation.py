"""Sign-in by one text (PROTOCOL §2): start an activation, keep it, poll it to the end.

A `PendingActivation` survives restarts (it is saved in the secret store as
JSON), so a person who closes the app after texting can reopen it and finish.
`poll_activation()` turns the redeem answers into typed outcomes a screen or a
command can show without knowing HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from plow_tui.client.codes import check_activation
from plow_tui.client.errors import (
    ActivationExpired,
    NetworkError,
    NotFound,
    PlowError,
    RateLimited,
    ServerUnavailable,
)
from plow_tui.client.models import Chat, parse_time
from plow_tui.logs import register_secret

if TYPE_CHECKING:
    from plow_tui.client.http import PlowClient

ACTIVATION_LIFETIME = timedelta(minutes=30)
DEFAULT_POLL_INTERVAL = 3.0
MAX_POLL_BACKOFF = 30.0

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class PendingActivation:
    """An activation that was started and not yet finished. `secret` is a credential."""

    secret: str = field(repr=False)
    display_code: str
    send_to: str
    line_id: str | None
    started_at: datetime
    provision_chat: bool = True

    @property
    def expires_at(self) -> datetime:
        return self.started_at + ACTIVATION_LIFETIME

    @property
    def text(self) -> str:
        """Exactly what the person must text to `send_to`."""
        return f"Plow Activate: {self.display_code}"

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or utc_now()) >= self.expires_at

    def to_json(self) -> str:
        return json.dumps(
            {
                "secret": self.secret,
                "display_code": self.display_code,
                "send_to": self.send_to,
                "line_id": self.line_id,
                "started_at": self.started_at.astimezone(timezone.utc).isoformat(),
                "provision_chat": self.provision_chat,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> PendingActivation:
        """Parse what `to_json()` wrote; ValueError if it is not that."""
        try:
            obj: Any = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ValueError("The saved activation is not valid JSON.") from exc
        if not isinstance(obj, dict):
            raise ValueError("The saved activation is not a JSON object.")
        secret, code, send_to = obj.get("secret"), obj.get("display_code"), obj.get("send_to")
        started_at = parse_time(obj.get("started_at"))
        if not all(isinstance(v, str) and v for v in (secret, code, send_to)) or started_at is None:
            raise ValueError("The saved activation is missing its secret, code, number or start time.")
        line_id = obj.get("line_id")
        register_secret(secret)
        try:
            check_activation(code, send_to)  # saved before the shapes were checked, perhaps
        except PlowError as exc:
            raise ValueError(exc.message) from None
        return cls(
            secret=secret,
            display_code=code,
            send_to=send_to,
            line_id=line_id if isinstance(line_id, str) else None,
            started_at=started_at,
            provision_chat=bool(obj.get("provision_chat", True)),
        )


async def start_activation(
    client: PlowClient, name: str | None = None, provision_chat: bool = True, *, clock: Clock = utc_now
) -> PendingActivation:
    """Ask the server for a code to text; the caller should save the result at once.

    Raises `UnexpectedCode` (a `PlowError`) when the code or number has not
    the shape of PROTOCOL §0: then nothing is shown or saved.
    """
    start = await client.activate(name=name, provision_chat=provision_chat)
    check_activation(start.display_code, start.send_to)
    return PendingActivation(
        secret=start.activation_secret,
        display_code=start.display_code,
        send_to=start.send_to,
        line_id=start.line_id,
        started_at=clock(),
        provision_chat=provision_chat,
    )


@dataclass(frozen=True)
class Pending:
    """The text has not arrived yet."""

    checked_at: datetime


@dataclass(frozen=True)
class Verified:
    """Signed in: save `token`. `chat` is the provisioned 1:1 chat, if one was asked for."""

    token: str = field(repr=False)
    chat: Chat | None = None


@dataclass(frozen=True)
class AlreadyRedeemed:
    """The text arrived, but another client already took the token (a later redeem)."""


@dataclass(frozen=True)
class Expired:
    """The code died unused: start over. `reason` is `expired`, `deadline` (local) or `unknown`."""

    reason: str = "expired"


@dataclass(frozen=True)
class PollFailed:
    """A check failed for a reason that may pass (network, 5xx, 429); polling goes on."""

    error: PlowError
    retry_in: float


PollOutcome = Pending | Verified | AlreadyRedeemed | Expired | PollFailed


async def poll_activation(
    client: PlowClient,
    pending: PendingActivation,
    *,
    interval: float = DEFAULT_POLL_INTERVAL,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Clock = utc_now,
    max_backoff: float = MAX_POLL_BACKOFF,
) -> AsyncIterator[PollOutcome]:
    """Redeem every `interval` seconds, yielding one outcome per check.

    Stops after `Verified`, `AlreadyRedeemed` or `Expired`. Other errors (a
    422, a 403) are raised: polling again would not change them. The server's
    answer wins over the local clock, so a completion racing the deadline is
    honoured; the local deadline only ends polling once the server still says
    pending after it.
    """
    failures = 0
    while True:
        try:
            result = await client.redeem(pending.secret)
        except ActivationExpired:
            yield Expired("expired")
            return
        except NotFound:
            yield Expired("unknown")
            return
        except (NetworkError, ServerUnavailable, RateLimited) as error:
            failures += 1
            retry_in = min(max_backoff, interval * (2 ** (failures - 1)))
            if isinstance(error, RateLimited) and error.retry_after is not None:
                retry_in = min(max(retry_in, error.retry_after), max_backoff)
            if pending.is_expired(clock()):
                yield Expired("deadline")
                return
            yield PollFailed(error, retry_in)
            await sleep(retry_in)
            continue
        failures = 0
        if result.verified:
            if result.token:
                yield Verified(result.token, result.chat)
            else:
                yield AlreadyRedeemed()
            return
        now = clock()
        if pending.is_expired(now):
            yield Expired("deadline")
            return
        yield Pending(now)
        await sleep(interval)
