"""Settings of the local Plow sandbox (the flags of `plow-tui sandbox`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from plow_tui.sandbox.airy.world import AUTH_TOKEN_TTL, DEFAULT_CHANNEL_ID, RESUME_TOKEN_TTL, is_uuid

DELIVERY_MODES = ("delivered", "failed", "none")


@dataclass
class SandboxConfig:
    """How a sandbox behaves: where it listens, how long codes live, how many lines it has.

    `port=0` asks the OS for a free port (tests do this). `seed` makes every id,
    code and token deterministic. `state_file` persists the world as JSON.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    activation_ttl: float = 1800.0
    ticket_ttl: float = 60.0
    member_code_ttl: float = 1800.0
    lines: int = 6
    seed: int | None = None
    state_file: str | os.PathLike[str] | None = None
    delivery: str = "delivered"
    delivery_delay_ms: int = 200
    # Bodies above this answer 413; no legitimate Plow request comes close.
    max_body_bytes: int = 1024 * 1024
    # The Airy Chat Plugin side (AIRY.md): its channel and token lifetimes.
    airy_channel: str = DEFAULT_CHANNEL_ID
    airy_auth_token_ttl: float = AUTH_TOKEN_TTL
    airy_resume_token_ttl: float = RESUME_TOKEN_TTL

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0..65535, not {self.port}")
        if not is_uuid(self.airy_channel):
            raise ValueError(f"airy_channel must be a UUID, not {self.airy_channel!r}")
        for name in ("activation_ttl", "ticket_ttl", "member_code_ttl", "airy_auth_token_ttl", "airy_resume_token_ttl"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        if not 1 <= self.lines <= 999:
            raise ValueError(f"lines must be 1..999, not {self.lines}")
        if self.delivery not in DELIVERY_MODES:
            raise ValueError(f"delivery must be one of {', '.join(DELIVERY_MODES)}")
        if self.delivery_delay_ms < 0:
            raise ValueError("delivery_delay_ms must be >= 0")
