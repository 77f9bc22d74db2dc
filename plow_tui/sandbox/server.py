"""SandboxServer: the sandbox app served by uvicorn on a loopback port, in a thread."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from types import TracebackType

from plow_tui.sandbox.app import create_app
from plow_tui.sandbox.config import SandboxConfig
from plow_tui.sandbox.context import SandboxContext

START_TIMEOUT_S = 10.0


class _HideTickets(logging.Filter):
    """uvicorn names WebSocket paths with their query string: keep tickets out of logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "ticket=" in record.getMessage():
            record.msg = "WebSocket connection (ticketed URL hidden)"
            record.args = ()
        return True


class SandboxServer:
    """A running sandbox: uvicorn in a daemon thread with its own event loop.

    Works the same from sync tests, async tests and the TUI, because it never
    shares the caller's loop. `start()` returns once the port is bound and
    `base_url` is set; `stop()` closes every socket. Also a context manager.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.app = create_app(self.config)
        self.base_url: str | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def context(self) -> SandboxContext:
        """The running world, for the `plow-tui sandbox` banner; tests use HTTP instead."""
        return self.app.state.sandbox

    def start(self) -> str:
        import uvicorn  # heavy: only when a server really starts

        if self._thread is not None:
            raise RuntimeError("this sandbox is already running")
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        # IPPROTO_TCP, not 0: asyncio only turns on TCP_NODELAY for accepted
        # sockets whose proto says TCP; without it every response waits ~40 ms
        # for a delayed ACK (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.config.host, self.config.port))
        except OSError:
            sock.close()
            raise
        port = sock.getsockname()[1]
        uv_config = uvicorn.Config(
            self.app,
            log_config=None,
            log_level="warning",
            access_log=False,
            ws="websockets-sansio",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(uv_config)
        self._server = server
        logging.getLogger("uvicorn.error").addFilter(_HideTickets())
        self._thread = threading.Thread(target=self._run, args=(server, sock), name="plow-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                self._thread.join(timeout=5)
                self._thread = None
                sock.close()
                raise RuntimeError(f"the sandbox did not start: {self._error or 'timed out'}")
            time.sleep(0.005)
        host = _reachable_host(self.config.host)
        host = f"[{host}]" if family == socket.AF_INET6 else host
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    def _run(self, server, sock: socket.socket) -> None:  # noqa: ANN001 - uvicorn.Server
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._error = exc
        finally:
            sock.close()

    def stop(self) -> None:
        if self._thread is None or self._server is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._thread = None
        self.base_url = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _reachable_host(host: str) -> str:
    """The address to connect to: "every interface" (0.0.0.0, ::) is not one a client can use everywhere."""
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        return "::1" if address.version == 6 else "127.0.0.1"
    return host
