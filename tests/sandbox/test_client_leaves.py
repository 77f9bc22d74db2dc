"""A client that leaves in the middle of a request is normal: no traceback, no error log.

Clients give up all the time (a timeout, Ctrl+C, a benchmark ending): the
sandbox used to log Starlette's `ClientDisconnect` as a crash, which buried
real errors and failed the benchmark smoke test under load.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from sandbox_helpers import Api

from plow_tui.sandbox import SandboxServer


def _abandon(base_url: str, path: str, headers: dict[str, str]) -> None:
    """Send a request's headers and the start of its body over a raw socket, then hang up."""
    parts = urlsplit(base_url)
    lines = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Content-Type: application/json", "Content-Length: 200"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n" + '{"chat_id": "cht_').encode())


def _served_everything(server: SandboxServer, timeout: float = 15.0) -> None:
    """Wait until uvicorn has no request task left: the abandoned one has run to its end (and logged, if it does)."""
    state = server._server.server_state  # type: ignore[union-attr]
    deadline = time.monotonic() + timeout
    while state.tasks or state.connections:
        assert time.monotonic() < deadline, "the sandbox never finished the abandoned request"
        time.sleep(0.01)


@pytest.mark.parametrize(
    ("path", "signed_in"),
    [("/v1/ws/ticket", True), ("/v1/auth/activate", False), ("/sandbox/sms", False)],
)
def test_an_abandoned_request_logs_nothing(
    make_sandbox: Callable[..., SandboxServer], caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
    path: str, signed_in: bool,
) -> None:
    server = make_sandbox()
    api = Api(server.base_url)  # type: ignore[arg-type]
    headers = api.sign_in().headers if signed_in else {}
    caplog.set_level(logging.DEBUG)
    capfd.readouterr()

    _abandon(server.base_url, path, headers)  # type: ignore[arg-type]
    _served_everything(server)

    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not noisy, [f"{r.name}: {r.getMessage()}" for r in noisy]
    assert "Traceback" not in capfd.readouterr().err
    # And the sandbox carries on.
    assert api.activate()["activation_secret"]
    api.http.close()
