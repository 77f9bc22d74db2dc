"""What every sandbox route shares: the world, the open sockets, the pending timers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from plow_tui.sandbox.clock import SandboxClock
from plow_tui.sandbox.config import SandboxConfig
from plow_tui.sandbox.hub import SocketHub
from plow_tui.sandbox.world import SentMessage, World


@dataclass
class SandboxContext:
    """The sandbox's state as the HTTP layer sees it (one per app)."""

    config: SandboxConfig
    world: World
    clock: SandboxClock = field(default_factory=SandboxClock)  # the world's clock (/sandbox/clock moves it)
    hub: SocketHub = field(default_factory=SocketHub)
    timers: set[asyncio.TimerHandle] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.world.subscribe(self.hub.on_event)

    def schedule_delivery(self, sent: SentMessage) -> None:
        """Apply the delivery update of a send after the configured delay."""
        if sent.update_to is None:
            return
        loop = asyncio.get_running_loop()
        status = sent.update_to

        def deliver() -> None:
            self.timers.discard(handle)
            self.world.set_message_status(sent.uid, status, sent.reason)

        handle = loop.call_later(sent.delay_s, deliver)
        self.timers.add(handle)

    def cancel_timers(self) -> None:
        for handle in self.timers:
            handle.cancel()
        self.timers.clear()
