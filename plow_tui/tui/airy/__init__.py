"""The Airy wing: the screen and parts only the Airy backend needs.

`sandbox_screen` is what the Plow app is handed to offer a sandbox's Airy
channel (F3): a factory, so nothing of the wing loads before it is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plow_tui.client.airy.conversation import SecretStore
    from plow_tui.tui.airy.screen import AiryScreen


def sandbox_screen(url: str, channel_id: str, store: SecretStore | None, **options: Any) -> Callable[[], AiryScreen]:
    """Makes the Airy screen of the sandbox at `url`, with its agent (Ctrl+T); `options` go to `AiryScreen`."""

    def make() -> AiryScreen:
        from plow_tui.client.airy.sandbox_agent import SandboxAgent
        from plow_tui.tui.airy.screen import AiryScreen

        return AiryScreen(url, channel_id, store=store, sandbox=True, agent=SandboxAgent(url, channel_id), **options)

    return make
