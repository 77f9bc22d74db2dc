"""An Airy sandbox on a loopback port for the tests of this directory.

The main `SandboxServer` mounts these routes too (test_main_sandbox.py), but
its config does not expose the STOMP heart-beat interval or the idle timeout,
which these tests shorten; so they serve `AiryService` alone: a Starlette app
under uvicorn in a daemon thread. Tests talk to it only over HTTP and
WebSocket, as the client would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from plow_tui.sandbox.airy import AiryConfig, AiryService
from plow_tui.sandbox.clock import SandboxClock


@dataclass
class AiryServer:
    base_url: str
    channel_id: str
    clock: SandboxClock

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward: tokens expire without waiting (the main sandbox's /sandbox/clock)."""
        self.clock.advance(seconds)

    def post(self, path: str, body: Any) -> httpx.Response:
        return httpx.post(self.base_url + path, json=body, timeout=5)

    def fault(self, **faults: Any) -> None:
        self.post("/sandbox/airy/faults", faults).raise_for_status()

    def conversation_ids(self) -> list[str]:
        response = httpx.get(self.base_url + "/sandbox/airy/conversations", timeout=5)
        response.raise_for_status()
        return [c["id"] for c in response.json()["conversations"]]

    def only_conversation(self) -> str:
        ids = self.conversation_ids()
        assert len(ids) == 1, ids
        return ids[0]

    def agent_says(self, conversation_id: str, text: str) -> dict[str, Any]:
        response = self.post(f"/sandbox/airy/conversations/{conversation_id}/messages", {"text": text})
        response.raise_for_status()
        return response.json()


@pytest.fixture
def airy_server_factory() -> Iterator[Callable[..., AiryServer]]:
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(**settings: Any) -> AiryServer:
        clock = SandboxClock()
        config = AiryConfig(clock=clock, **settings)
        app = Starlette(routes=AiryService(config).routes)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", ws="websockets-sansio")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the Airy sandbox did not start"
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        running.append((server, thread))
        return AiryServer(base_url=f"http://127.0.0.1:{port}", channel_id=config.channel_id, clock=clock)

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def airy_server(airy_server_factory: Callable[..., AiryServer]) -> AiryServer:
    return airy_server_factory(heartbeat_ms=300, idle_timeout=5.0)
