"""poll_activation against the sandbox: pending, verified, already redeemed, expired."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from plow_tui.client.activation import (
    AlreadyRedeemed,
    Expired,
    Pending,
    PendingActivation,
    PollFailed,
    Verified,
    poll_activation,
    start_activation,
)
from plow_tui.client.http import PlowClient
from sandbox_people import fault, new_phone, text


async def test_pending_then_verified_with_chat(sandbox) -> None:
    phone = new_phone()
    async with PlowClient(sandbox.base_url, max_retries=0) as api:
        pending = await start_activation(api, "Ada", provision_chat=True)
        assert pending.text.startswith("Plow Activate: ") and "act_" not in repr(pending)
        outcomes = []
        async for outcome in poll_activation(api, pending, interval=0.05):
            outcomes.append(outcome)
            if len(outcomes) == 2:
                # A prefixed text does not count; the exact one does.
                assert await text(sandbox.base_url, phone, pending.send_to, "Hi " + pending.text) == "ignored"
                assert await text(sandbox.base_url, phone, pending.send_to, pending.text) == "activated"
        assert all(isinstance(o, Pending) for o in outcomes[:-1]) and len(outcomes) >= 3
        verified = outcomes[-1]
        assert isinstance(verified, Verified) and verified.token
        assert verified.chat is not None and verified.chat.status == "active"
        assert verified.token not in repr(verified)
        # A second poller (another client) only learns it was redeemed.
        again = [o async for o in poll_activation(api, pending, interval=0.05)]
        assert again == [AlreadyRedeemed()]


async def test_server_failures_are_reported_and_polling_goes_on(sandbox) -> None:
    async with PlowClient(sandbox.base_url, max_retries=0) as api:
        pending = await start_activation(api, provision_chat=False)
        await fault(sandbox.base_url, fail_next={"status": 503, "count": 2})
        outcomes = []
        async for outcome in poll_activation(api, pending, interval=0.01, max_backoff=0.05):
            outcomes.append(outcome)
            if isinstance(outcome, Pending):
                break
        assert [type(o) for o in outcomes] == [PollFailed, PollFailed, Pending]
        assert outcomes[0].retry_in == 0.01 and outcomes[1].retry_in == 0.02


async def test_expired_by_server() -> None:
    from plow_tui.sandbox import SandboxConfig, SandboxServer

    with SandboxServer(SandboxConfig(port=0, seed=5, activation_ttl=0.3)) as server:
        async with PlowClient(server.base_url, max_retries=0) as api:
            pending = await start_activation(api, provision_chat=False)
            outcomes = [o async for o in poll_activation(api, pending, interval=0.1)]
    assert outcomes[-1] == Expired("expired")
    assert all(isinstance(o, Pending) for o in outcomes[:-1])


async def test_local_deadline_ends_polling(sandbox) -> None:
    async with PlowClient(sandbox.base_url, max_retries=0) as api:
        pending = await start_activation(api, provision_chat=False)
        late = lambda: pending.started_at + timedelta(minutes=31)  # noqa: E731
        outcomes = [o async for o in poll_activation(api, pending, interval=0.01, clock=late)]
    assert outcomes == [Expired("deadline")]


async def test_unknown_secret_is_expired_unknown(sandbox) -> None:
    stale = PendingActivation("act_not_known_here", "ABCDE", "+15550000001", None, datetime.now(timezone.utc))
    async with PlowClient(sandbox.base_url, max_retries=0) as api:
        outcomes = [o async for o in poll_activation(api, stale, interval=0.01)]
    assert outcomes == [Expired("unknown")]
