"""The app against hostile server input: garbage frames, and text that looks like markup or escapes.

The sandbox carries the real traffic; a wrapper around the app's WebSocket
slips malformed and near-valid frames between the real ones. The app must not
crash, must keep following the chat, and must show hostile text literally:
Rich/Textual markup as its characters, control characters as visible
placeholders, never as styles, actions or terminal commands.
"""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest
from reliability_helpers import app_on, memory_store_with, new_phone, screen_text, sign_up, sms, until

import plow_tui.client.stream as stream_module
from plow_tui.client.stream import ChatStream
from plow_tui.sandbox import SandboxConfig, SandboxServer
from plow_tui.tui.plow.chats import ChatsScreen
from plow_tui.terminal_text import safe_text as literal

HOSTILE = [
    "[bold]loud[/bold] and [red]red[/]",
    "[@click=app.quit]click me[/]",
    "[link=https://evil.example]x[/link] [b]",
    "\x1b[2J\x1b[31mred\x1b]0;pwned\x07 \x1b[?1049h",
    "tab\there\rcarriage \x00nul \x7fdel \x9bcsi",
    "emoji 👩‍👩‍👧 rtl \u202eevil\u202c zero\u200bwidth",
    "[/] [/bold] [[double]] \\[escaped]",
]
HOSTILE_NAME = "Ada [@click=app.quit]x[/] \x1b[31m"


def garbage(chat_uid: str, rng: random.Random) -> list[str | bytes]:
    """Malformed and near-valid frames of both forms, some carrying hostile text."""
    evil = [
        {"uid": f"msg_evil{rng.randrange(10**9)}", "chat_uid": chat_uid, "direction": "inbound",
         "body": body, "sender": {"display_name": "[@click=app.quit]Mallory"}, "status": "received"}
        for body in ["x" * 50_000, "[bold]injected[/bold]", "\x1b]52;c;ZXZpbA==\x07"]
    ]  # fmt: skip
    frames: list[Any] = [
        b"\xff\xfe", "[" * 50_000, "null", "{", json.dumps({"type": "weird"}),
        json.dumps({"type": "message_received", "message": {"uid": None}}),
        json.dumps({"type": "message_received", "message": {"uid": "msg_x", "chat_uid": chat_uid, "body": {"a": [1]},
                                                            "created_at": "yesterday", "direction": 7}}),
        json.dumps({"type": "message_status_updated", "message": {"uid": "msg_unknown", "status": ["delivered"]}}),
        json.dumps({"type": "participant_verified", "participant": "Ada"}),
        json.dumps({"type": "chat_active", "chat": {"uid": chat_uid, "participants": "none", "status": 5}}),
        json.dumps({"type": "chat_activation_failed", "reason": ["x"], "message": {"y": 1}}),
        json.dumps({"event_id": "evt_1", "data": {"type": "message_received", "message": evil[0]}}),
        json.dumps({"event_id": "evt_1", "data": {"type": "message_received", "message": evil[1]}}),
        json.dumps({"type": "message_received", "message": evil[1]}),
        json.dumps({"type": "message_received", "message": evil[2]}),
    ]  # fmt: skip
    rng.shuffle(frames)
    return frames


class GarbledSocket:
    """A real WebSocket with garbage frames slipped in after `connected`."""

    def __init__(self, real: Any, extra: list[Any]) -> None:
        self._real = real
        self._extra = extra
        self._first = True

    async def recv(self) -> Any:
        if self._first:
            self._first = False
            return await self._real.recv()  # `connected`
        if self._extra:
            return self._extra.pop()
        return await self._real.recv()

    def __aiter__(self) -> GarbledSocket:
        return self

    async def __anext__(self) -> Any:
        from websockets.exceptions import ConnectionClosedOK

        try:
            return await self.recv()
        except ConnectionClosedOK:
            raise StopAsyncIteration from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def garbling_stream(chat_uid_for_garbage: list[str], connects: list[str] | None = None) -> type[ChatStream]:
    """ChatStreams whose sockets carry garbage; each connection made is appended to `connects`."""
    rng = random.Random(3)

    class GarblingStream(ChatStream):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            async def connect(url: str, **options: Any) -> Any:
                from websockets.asyncio.client import connect as real_connect

                if connects is not None:
                    connects.append(url)
                return GarbledSocket(await real_connect(url, **options), garbage(chat_uid_for_garbage[0], rng))

            kwargs.setdefault("connect", connect)
            kwargs.setdefault("backoff_initial", 0.05)
            super().__init__(*args, **kwargs)

    return GarblingStream


async def test_garbage_frames_and_hostile_text(monkeypatch: pytest.MonkeyPatch) -> None:
    chat_holder: list[str] = []
    connects: list[str] = []
    monkeypatch.setattr(stream_module, "ChatStream", garbling_stream(chat_holder, connects))
    with SandboxServer(SandboxConfig(port=0, seed=4, delivery_delay_ms=10)) as sandbox:
        base = sandbox.base_url
        phone = new_phone()
        token, chat = await sign_up(base, phone, name=HOSTILE_NAME)
        chat_holder.append(chat.uid)
        app = app_on(base, await memory_store_with(base, token), notifications=False)
        async with app.run_test(size=(120, 40)) as pilot, httpx.AsyncClient(base_url=base) as http:
            screen = await until(pilot, lambda: isinstance(app.screen, ChatsScreen) and app.screen, "the main screen")
            await until(pilot, lambda: screen.chats_loaded, "the chat list")
            screen.open_chat(chat.uid)
            pane = await until(pilot, lambda: screen.pane(chat.uid), "the pane")
            await until(pilot, lambda: pane.loaded and screen.stream_live, "the live stream")
            for body in HOSTILE:
                assert await sms(http, phone, chat.number, body) == "message"
                await until(pilot, lambda: pane.conversation.entries and pane.conversation.entries[-1].body == body,
                            f"the message {body!r}")  # fmt: skip
                # Drawn, literally (the entry lands a frame before the screen shows it).
                await until(pilot, lambda: " ".join(literal(body).split()) in " ".join(screen_text(app).split()),
                            f"the message {body!r} drawn")  # fmt: skip
            # Drop the socket: the next connection brings a fresh dose of garbage, and still follows.
            before = len(connects)
            (await http.post("/sandbox/faults", json={"drop_sockets": True})).raise_for_status()
            await until(pilot, lambda: len(connects) > before and screen.stream_live, "the next connection, live")
            assert await sms(http, phone, chat.number, "after the garbage") == "message"
            await until(pilot, lambda: pane.conversation.entries[-1].body == "after the garbage", "the last message")
            text = screen_text(app)
            everything = text + app.export_screenshot()
            assert app.is_running and app._exception is None
            assert isinstance(app.screen, ChatsScreen)  # no [@click=app.quit] ran
    assert "\x1b" not in everything and "\x07" not in everything
    assert " ".join(literal(HOSTILE_NAME).split()) in " ".join(text.split())  # the owner's name, as typed
    assert "injected" in " ".join(e.body for e in pane.conversation.entries)  # near-valid frames got through
