"""A local stand-in for Plow that speaks PROTOCOL.md over real sockets.

`from plow_tui.sandbox import SandboxConfig, SandboxServer` stays light:
Starlette and uvicorn load only when a server is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from plow_tui.sandbox.config import SandboxConfig

if TYPE_CHECKING:
    from plow_tui.sandbox.server import SandboxServer

__all__ = ["SandboxConfig", "SandboxServer"]


def __getattr__(name: str) -> object:
    if name == "SandboxServer":
        from plow_tui.sandbox.server import SandboxServer

        return SandboxServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
