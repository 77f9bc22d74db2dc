"""The sandbox's Airy Core instance: the Chat Plugin API of AIRY.md, in memory.

`AiryConfig` and `DEFAULT_CHANNEL_ID` are light (the main `SandboxConfig`
uses them); `AiryService` loads Starlette, so it is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from plow_tui.sandbox.airy.world import DEFAULT_CHANNEL_ID, AiryConfig

if TYPE_CHECKING:
    from plow_tui.sandbox.airy.service import AiryService

__all__ = ["DEFAULT_CHANNEL_ID", "AiryConfig", "AiryService"]


def __getattr__(name: str) -> object:
    if name == "AiryService":
        from plow_tui.sandbox.airy.service import AiryService

        return AiryService
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
