"""The Airy screen: one Chat Plugin conversation, as a website visitor, in the shared `ChatPanel`.

The same panel (header, failure line, `Conversation`, `Notice`, `Compose`)
and `StatusBar` as a Plow chat: one set of widgets, two backends; only the
plumbing differs. An `AiryStream` worker keeps the socket and posts its
events; handlers turn them into entries. The client merges every message by
id, so the answer to a send and its echo on the socket are one message, and
the history fetched after a reconnect only adds what was missed. Sending is
Airy's `Sending` (`tui/airy/sending.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import itertools
from collections.abc import Callable, Iterable, Sequence
from contextlib import aclosing
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message

from plow_tui.client.airy.errors import AiryError
from plow_tui.client.airy.events import (
    AiryConversationRestarted,
    AiryEvent,
    AiryMessagesArrived,
    AiryMessageUpdated,
)
from plow_tui.client.events import ConnectionChanged
from plow_tui.terminal_text import error_text, safe_line
from plow_tui.tui.airy.sending import AirySending
from plow_tui.tui.airy.views import airy_entry
from plow_tui.tui.app import PlowBaseApp
from plow_tui.tui.screens.side import SideScreen
from plow_tui.tui.widgets.chat_panel import ChatPanel
from plow_tui.tui.widgets.footer import KeyFooter
from plow_tui.tui.widgets.status_bar import Connection, StatusBar, api_host

if TYPE_CHECKING:
    from plow_tui.client.airy.conversation import AiryConversation, SecretStore
    from plow_tui.client.airy.models import AiryMessage
    from plow_tui.client.airy.sandbox_agent import SandboxAgent
    from plow_tui.client.airy.stream import AiryStream

CONNECTING = "connecting to the Airy channel…"
CHANNEL_GONE = "the Airy channel cannot be reached: your draft is kept"
# What the sandbox's agent says when asked to (Ctrl+T), in turn.
AGENT_LINES = (
    "Hi! Thanks for reaching out. How can I help?",
    "Let me check that for you: one moment.",
    "Done! Anything else I can do?",
)


class EventSource(Protocol):
    """What the screen needs of an `AiryStream`."""

    def events(self) -> Any: ...  # an async iterator of `AiryEvent`s

    async def close(self) -> None: ...


ConversationFactory = Callable[[str, str, "SecretStore | None"], "AiryConversation"]
StreamFactory = Callable[["AiryConversation"], EventSource]


def default_conversation(url: str, channel_id: str, store: SecretStore | None) -> AiryConversation:
    """A real conversation with the instance at `url` (its client is closed with the screen)."""
    from plow_tui.client.airy.conversation import AiryConversation
    from plow_tui.client.airy.http import AiryClient

    return AiryConversation(AiryClient(url), channel_id, store=store)


def default_stream(conversation: AiryConversation) -> AiryStream:
    from plow_tui.client.airy.stream import AiryStream

    return AiryStream(conversation)


def airy_header(url: str, channel_id: str) -> Text:
    """`Airy Chat Plugin · host · channel <uuid>`."""
    text = Text("Airy Chat Plugin", style="bold")
    text.append(f" · {safe_line(api_host(url))} · channel {channel_id}")
    return text


class AiryScreen(SideScreen[None]):
    """A conversation with one Airy channel: status line, messages, editor.

    `agent` is the sandbox's agent (Ctrl+T makes it answer), None elsewhere.
    """

    SIDE = "airy"
    AUTO_FOCUS = "#compose"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "reconnect", "Reconnect", priority=True),
        # Priority: Ctrl+T must work while typing (it is not an editor key).
        Binding("ctrl+t", "agent_answers", "Agent answers (sandbox)", priority=True),
    ]

    @dataclass
    class StreamEvent(Message):
        """Something the conversation's stream reported."""

        event: AiryEvent

    @dataclass
    class StreamFailed(Message):
        """The stream stopped for good (it raised `error` after its last `offline`)."""

        error: AiryError

    def __init__(
        self,
        url: str,
        channel_id: str,
        *,
        store: SecretStore | None,
        sandbox: bool = False,
        standalone: bool = False,
        bell: bool = True,
        conversation_factory: ConversationFactory = default_conversation,
        stream_factory: StreamFactory = default_stream,
        agent: SandboxAgent | None = None,
    ) -> None:
        super().__init__()
        self.url = url
        self.channel_id = channel_id
        self.sandbox = sandbox
        self.standalone = standalone
        self.bell = bell
        self._store = store
        self._conversation_factory = conversation_factory
        self._stream_factory = stream_factory
        self._agent = agent
        self._conversation: AiryConversation | None = None
        self._agent_lines = itertools.cycle(AGENT_LINES)
        self.failed: AiryError | None = None  # the stream stopped for good
        # Made here, not in compose(): the stream's first events may come before mounting ends.
        self.panel = ChatPanel(lambda shown: AirySending(shown, lambda: self.airy, self._now), clock=self._now, id="airy")
        self.panel.show_header(airy_header(url, channel_id))
        self.conversation = self.panel.conversation
        self.compose_box = self.panel.compose_box

    base_app = getters.app(PlowBaseApp)  # the app, typed (the Plow app or the Airy one)

    def _now(self) -> datetime:
        return self.base_app.now()

    @property
    def airy(self) -> AiryConversation:
        """The client-side conversation (made when the screen mounts)."""
        if self._conversation is None:
            self._conversation = self._conversation_factory(self.url, self.channel_id, self._store)
        return self._conversation

    # -- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        status = StatusBar(self.url, sandbox=self.sandbox, id="status")
        status.account = "Airy"
        yield status
        yield self.panel
        yield KeyFooter()

    def on_mount(self) -> None:
        self.conversation.empty_text = "No messages yet. Say hello!"
        self.compose_box.disabled_reason = CONNECTING
        self._follow()

    async def on_unmount(self) -> None:
        self.workers.cancel_node(self)
        if self._conversation is not None:
            await self._conversation.client.aclose()

    # -- workers: the network ---------------------------------------------------------

    @work(exclusive=True, group="airy-stream", exit_on_error=False)
    async def _follow(self) -> None:
        self.query_one(StatusBar).set_connection(Connection.CONNECTING)
        stream = self._stream_factory(self.airy)
        try:
            async with aclosing(stream.events()) as events:
                async for event in events:
                    self.post_message(self.StreamEvent(event))
        except AiryError as error:  # how every live stream ends for good (see `AiryStream`)
            self.post_message(self.StreamFailed(error))

    @work(group="airy-agent", exit_on_error=False)
    async def _ask_agent(self, agent: SandboxAgent, text: str) -> None:
        try:
            answered = await agent.answer(self.airy.conversation_id, text)
        except AiryError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        if not answered:
            self.notify("Send a message first: the agent answers your conversation.", timeout=4)

    # -- handlers: the widgets ------------------------------------------------------------

    @on(StreamEvent)
    def _stream_event(self, message: StreamEvent) -> None:
        event = message.event
        status = self.query_one(StatusBar)
        if isinstance(event, ConnectionChanged):
            status.show_stream_state(event)
        elif isinstance(event, AiryMessagesArrived):
            status.last_event = self._now()
            self._show(event.messages)
            if self.bell and not event.backfill and not self.app.app_focus and any(not m.from_contact for m in event.messages):
                self.app.bell()  # an agent answered while the terminal is in the background
        elif isinstance(event, AiryMessageUpdated):
            self.conversation.update_state(event.message.id, airy_entry(event.message, self._now()).state)
        elif isinstance(event, AiryConversationRestarted):
            # Stays: it explains the history for as long as the screen is open.
            self.panel.show_notice(f"{event.notice} The messages before it belong to the old one.", sticky=True)
            self.notify(event.notice, title="New conversation", severity="warning", timeout=8, markup=False)
        self._update_compose()

    @on(StreamFailed)
    def _stream_failed(self, message: StreamFailed) -> None:
        self._fail(message.error)
        self._update_compose()

    def _show(self, messages: Sequence[AiryMessage]) -> None:
        """Add messages, in server order (one older than what is shown, from a reconnect's history, goes in its place)."""
        now = self._now()
        self.conversation.add_entries([airy_entry(m, now) for m in messages])

    def _fail(self, error: AiryError) -> None:
        self.failed = error
        self.panel.show_failure(f"{error_text(error)} Press Ctrl+R to try again.")
        self.notify(error_text(error), title="Airy channel unavailable", severity="error", timeout=10, markup=False)

    def _update_compose(self) -> None:
        if self.failed is not None:
            reason: str | None = CHANNEL_GONE
        elif self._conversation is None or not self._conversation.started:
            # A send before the conversation exists would begin a second one.
            reason = CONNECTING
        else:
            reason = None
        self.compose_box.disabled_reason = reason

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return not self.standalone
        if action == "reconnect":
            return self.failed is not None
        if action == "agent_answers":
            return self._agent is not None
        return True

    def action_back(self) -> None:
        if not self.standalone:
            self.dismiss()

    def action_reconnect(self) -> None:
        if self.failed is None:
            return
        self.failed = None
        self.panel.show_failure(None)
        self._update_compose()
        self._follow()

    def action_agent_answers(self) -> None:
        if self._agent is not None:
            self._ask_agent(self._agent, next(self._agent_lines))

    def system_commands(self) -> Iterable[SystemCommand]:
        """Palette entries for this screen's actions (the app adds them to its own)."""
        if self._agent is not None:
            yield SystemCommand("Agent answers (sandbox)", "Have the sandbox's agent answer you", self.action_agent_answers)
        if self.failed is not None:
            yield SystemCommand("Reconnect", "Try the Airy channel again", self.action_reconnect)
        if self.conversation.selected_uid is not None:
            yield SystemCommand("Copy message", "Copy the selected message's text", self.conversation.action_copy)
            yield SystemCommand("Open link", "Open the first link in the selected message", self.conversation.action_open_link)
        if not self.standalone:
            yield SystemCommand("Back", "Leave the Airy conversation", self.action_back)

