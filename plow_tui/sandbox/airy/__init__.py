"""The sandbox's Airy Core instance: the Chat Plugin API of AIRY.md, in memory."""

from plow_tui.sandbox.airy.service import AiryService
from plow_tui.sandbox.airy.world import DEFAULT_CHANNEL_ID, AiryConfig

__all__ = ["DEFAULT_CHANNEL_ID", "AiryConfig", "AiryService"]
