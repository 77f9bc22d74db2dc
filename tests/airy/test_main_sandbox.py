"""The Airy side mounted in the main sandbox (`SandboxServer`, `plow-tui sandbox`).

The other tests here serve `AiryService` alone because they need knobs the
main config does not expose (heart-beat interval, idle timeout); these check
that the real sandbox serves the same API on its one port.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx

from plow_tui.client.airy.conversation import AiryConversation
from plow_tui.client.airy.events import AiryMessagesArrived
from plow_tui.client.airy.http import AiryClient
from plow_tui.client.airy.stream import AiryStream
from plow_tui.client.secret_backends import MemoryStore
from plow_tui.client.tokens import TokenStore
from plow_tui.sandbox import SandboxConfig, SandboxServer

CHANNEL = "0b7c9a52-3e1d-4f60-8a2b-5c4d3e2f1a09"


async def test_conversation_over_the_main_sandbox() -> None:
    with SandboxServer(SandboxConfig(port=0, airy_channel=CHANNEL)) as sandbox:
        base_url = sandbox.base_url
        assert base_url is not None
        async with AiryClient(base_url) as client:
            conversation = AiryConversation(client, CHANNEL, store=TokenStore([MemoryStore()], env={}))
            stream = AiryStream(conversation, reconnect_delays=(0.05,))
            arrived: list[str] = []
            sent_id = None
            async with asyncio.timeout(10):
                async for event in stream.events():
                    if getattr(event, "state", None) == "live" and sent_id is None:
                        sent_id = (await conversation.send("hi from the TUI")).id
                        async with httpx.AsyncClient(base_url=base_url) as http:
                            listing = (await http.get("/sandbox/airy/conversations")).json()
                            (only,) = listing["conversations"]
                            answer = await http.post(
                                f"/sandbox/airy/conversations/{only['id']}/messages", json={"text": "hello, visitor"}
                            )
                            answer.raise_for_status()
                    if isinstance(event, AiryMessagesArrived):
                        arrived.extend(m.text for m in event.messages)
                    if "hello, visitor" in arrived:
                        break
            assert arrived == ["hi from the TUI", "hello, visitor"]
        # The Plow side is untouched by the Airy routes.
        assert httpx.get(f"{base_url}/openapi.json").status_code == 200


def test_sandbox_command_prints_the_airy_channel_on_a_line_of_its_own() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "plow_tui", "sandbox", "--port", "0", "--airy-channel", CHANNEL],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 20
        lines = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl+C"):
                break
        assert f"Airy channel: {CHANNEL}" in lines
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
