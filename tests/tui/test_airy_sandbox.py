"""The Airy screen against the real sandbox over loopback: send, answers, drops, expiry, resume, a gone channel."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import timezone
from typing import Any

import httpx
from support.waits import nothing_more
from app_fakes import memory_store, sandbox_app, sandbox_factory, screen_text, squash, wait_for  # noqa: F401 - sandbox_factory is a fixture

from plow_tui.client.airy.conversation import resume_token_key
from plow_tui.client.airy.stream import AiryStream
from plow_tui.commands import ExitCode
from plow_tui.tui.standalone import AiryApp
from plow_tui.tui.airy.screen import AGENT_LINES, CHANNEL_GONE, AiryScreen

CHANNEL = "0b7c9a52-3e1d-4f60-8a2b-5c4d3e2f1a09"


def _fast_stream(conversation: Any) -> AiryStream:
    return AiryStream(conversation, reconnect_delays=(0.05, 0.1), receipt_wait=1.0)


def _app(base_url: str, store: Any) -> AiryApp:
    return AiryApp(
        base_url,
        CHANNEL,
        token_store=store,
        screen_options={"stream_factory": _fast_stream},
        tz=timezone.utc,
        cursor_blink=False,
        animation_level="none",
    )


async def _sandbox_get(base_url: str, path: str) -> Any:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get(path)
        response.raise_for_status()
        return response.json()


async def _sandbox_post(base_url: str, path: str, body: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(path, json=body)
        response.raise_for_status()
        return response.json() if response.content else None


async def _conversations(base_url: str) -> dict[str, int]:
    """Conversation id -> number of messages, on our channel."""
    listing = await _sandbox_get(base_url, "/sandbox/airy/conversations")
    return {c["id"]: c["message_count"] for c in listing["conversations"] if c["channel_id"] == CHANNEL}


async def _open(pilot) -> AiryScreen:
    app = pilot.app
    screen = await wait_for(pilot, lambda: isinstance(app.screen, AiryScreen) and app.screen, what="the Airy screen")
    await wait_for(pilot, lambda: screen.compose_box.disabled_reason is None, what="the conversation to start")
    await wait_for(pilot, lambda: app.focused is screen.compose_box, what="the editor focused")
    return screen


async def _send(pilot, screen: AiryScreen, text: str) -> None:
    screen.compose_box.draft = text
    await pilot.press("enter")


async def _first_message(pilot, screen: AiryScreen, base_url: str, text: str) -> str:
    """Send the conversation's first message and wait until it is settled; the conversation's id."""
    await _send(pilot, screen, text)
    await wait_for(pilot, lambda: _settled(screen) and len(screen.conversation.entries) == 1, what="the first message")
    (conversation_id,) = await _conversations(base_url)
    return conversation_id


def _bodies(screen: AiryScreen) -> list[str]:
    return [e.body for e in screen.conversation.entries]


def _settled(screen: AiryScreen) -> bool:
    return not any(e.uid.startswith("local-") for e in screen.conversation.entries)


async def test_send_agent_answer_quit_and_resume(sandbox_factory) -> None:
    base = sandbox_factory(airy_channel=CHANNEL).base_url
    store = memory_store()
    async with _app(base, store).run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        await _send(pilot, screen, "hello from the terminal")
        await wait_for(pilot, lambda: _settled(screen) and _bodies(screen) == ["hello from the terminal"], what="the sent message")
        assert screen.conversation.entries[0].state == "delivered"
        (conversation_id, count), = (await _conversations(base)).items()
        assert count == 1  # on the server once

        await _sandbox_post(base, f"/sandbox/airy/conversations/{conversation_id}/messages", {"text": "Hi, [b]visitor[/b]!"})
        await wait_for(pilot, lambda: len(screen.conversation.entries) == 2, what="the agent's answer")
        answer = screen.conversation.entries[1]
        assert (answer.author, answer.outbound) == ("Sandbox Agent", False)
        assert "Hi, [b]visitor[/b]!" in squash(screen_text(pilot.app))
        before = [(e.uid, e.body) for e in screen.conversation.entries]

    # Quit, come back with the same secret store: the whole conversation is back.
    async with _app(base, store).run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        await wait_for(pilot, lambda: len(screen.conversation.entries) == 2, what="the resumed history")
        assert [(e.uid, e.body) for e in screen.conversation.entries] == before
        assert list(await _conversations(base)) == [conversation_id]  # resumed, not a new one
        resume_token = await store.get_secret(resume_token_key(base, CHANNEL))
        auth_token = screen.airy.client.token
        assert resume_token and auth_token
        shown = screen_text(pilot.app)
        assert resume_token not in shown and auth_token not in shown


async def test_socket_drops_during_traffic_lose_and_double_nothing(sandbox_factory) -> None:
    base = sandbox_factory(airy_channel=CHANNEL).base_url
    async with _app(base, memory_store()).run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        conversation_id = await _first_message(pilot, screen, base, "first")
        for round_ in range(3):
            await _send(pilot, screen, f"visitor {round_}")
            await _sandbox_post(base, "/sandbox/airy/faults", {"drop_sockets": True})
            # The agent answers while the socket is down: the reconnect's history brings it.
            await _sandbox_post(base, f"/sandbox/airy/conversations/{conversation_id}/messages", {"text": f"agent {round_}"})
            await pilot.pause(0.05)
        expected = 1 + 2 * 3
        await wait_for(pilot, lambda: _settled(screen) and len(screen.conversation.entries) == expected, what="every message")
        await wait_for(pilot, lambda: screen.query_one("StatusBar").connection.label == "live", what="live again")
        await nothing_more(pilot)  # any late duplicate would show up now
        bodies = _bodies(screen)
        assert len(bodies) == expected and not [b for b, n in Counter(bodies).items() if n > 1], bodies
        assert set(bodies) == {"first"} | {f"visitor {i}" for i in range(3)} | {f"agent {i}" for i in range(3)}
        assert await _conversations(base) == {conversation_id: expected}


async def test_expired_tokens_keep_working_in_a_new_conversation_with_a_notice(sandbox_factory) -> None:
    base = sandbox_factory(airy_channel=CHANNEL).base_url
    async with _app(base, memory_store()).run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        old_id = await _first_message(pilot, screen, base, "before expiry")
        await _sandbox_post(base, "/sandbox/airy/faults", {"expire_tokens": True})
        await _send(pilot, screen, "after expiry")
        await wait_for(pilot, lambda: _settled(screen) and len(screen.conversation.entries) == 2, what="the second message")
        assert _bodies(screen) == ["before expiry", "after expiry"]
        await wait_for(pilot, lambda: "a new conversation has started" in squash(screen_text(pilot.app)), what="the notice")
        conversations = await _conversations(base)
        assert conversations[old_id] == 1 and sorted(conversations.values()) == [1, 1]
        # The new conversation is live: an agent's answer in it arrives.
        (new_id,) = set(conversations) - {old_id}
        await _sandbox_post(base, f"/sandbox/airy/conversations/{new_id}/messages", {"text": "welcome back"})
        await wait_for(pilot, lambda: "welcome back" in _bodies(screen), what="the answer in the new conversation")


async def test_a_disconnected_channel_is_a_clear_error_and_keeps_the_draft(sandbox_factory) -> None:
    base = sandbox_factory(airy_channel=CHANNEL).base_url
    async with _app(base, memory_store()).run_test(size=(100, 30)) as pilot:
        screen = await _open(pilot)
        screen.compose_box.draft = "half-written"
        await _sandbox_post(base, "/sandbox/airy/faults", {"disconnect_channel": CHANNEL, "drop_sockets": True})
        await wait_for(pilot, lambda: screen.failed is not None, what="the failure")
        await pilot.pause()
        assert screen.compose_box.draft == "half-written"
        assert screen.compose_box.disabled_reason == CHANNEL_GONE
        assert "unknown or no longer connected" in squash(screen_text(pilot.app))


async def test_plow_sandbox_offers_the_airy_channel_and_its_agent(sandbox_factory) -> None:
    sandbox = sandbox_factory(airy_channel=CHANNEL)
    app = sandbox_app(sandbox.base_url, airy_channel=CHANNEL)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        command = next(c for c in app.get_system_commands(app.screen) if c.title.partition("  ")[0] == "Airy channel (sandbox)")
        under = app.screen
        command.callback()
        screen = await _open(pilot)
        assert screen.sandbox and not app.check_action("airy", ())  # not offered over itself
        await pilot.press("ctrl+t")  # the conversation exists once live: the agent can greet first
        await wait_for(pilot, lambda: len(screen.conversation.entries) == 1, what="the agent")
        assert screen.conversation.entries[0].body == AGENT_LINES[0]
        await _send(pilot, screen, "anyone there?")
        await wait_for(pilot, lambda: _settled(screen) and len(screen.conversation.entries) == 2, what="the message")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: _settled(screen) and len(screen.conversation.entries) == 3, what="the second answer")
        assert _bodies(screen) == [AGENT_LINES[0], "anyone there?", AGENT_LINES[1]]
        await pilot.press("escape")  # out of the editor, to the messages (as in a Plow chat)
        await wait_for(pilot, lambda: app.focused is screen.conversation, what="the messages")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is under, what="back where we were")


async def test_airy_command_without_an_action_opens_the_screen(monkeypatch) -> None:
    from plow_tui.cli import build_parser
    from plow_tui.commands import airy

    args = build_parser().parse_args(["airy", "http://127.0.0.1:9", "--channel-id", CHANNEL])
    assert args.action is None and args.func is airy.run_screen
    bad = argparse.Namespace(url="ftp://nowhere", channel_id=CHANNEL, insecure_storage=False)
    assert airy.run_screen(bad) == ExitCode.USAGE
