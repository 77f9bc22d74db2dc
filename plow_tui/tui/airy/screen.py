"""The Airy screen: one Chat Plugin conversation, as a website visitor, in the Plow widgets.

The same `Conversation` pane, `Compose` box and `StatusBar` as a Plow chat
(one set of widgets, two backends); only the plumbing differs. An
`AiryStream` worker keeps the socket and posts its events; handlers turn
them into entries. The client merges every message by id, so the answer to
a send and its echo on the socket are one message, and the history fetched
after a reconnect only adds what was missed.

Sending shows a "sending…" placeholder at once; the answer replaces it (or,
if the echo came first, it simply goes). A failed send is never retried
behind the person's back (Airy has no idempotency key, so a retry could
post twice): the text goes back into the editor with the reason.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from contextlib import aclosing
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message as TextualMessage
from textual.screen import Screen
from textual.widgets import Static

from plow_tui.tui.widgets.footer import KeyFooter

from plow_tui.client.airy.errors import AiryError
from plow_tui.client.airy.events import (
    AiryConversationRestarted,
    AiryEvent,
    AiryMessagesArrived,
    AiryMessageUpdated,
    AiryStreamFailed,
)
from plow_tui.client.events import ConnectionChanged
from plow_tui.terminal_text import error_text, safe_line
from plow_tui.tui.airy.views import airy_entry
from plow_tui.tui.widgets.compose import Compose
from plow_tui.tui.widgets.conversation import Conversation, Entry
from plow_tui.tui.widgets.notice import Notice
from plow_tui.tui.widgets.status_bar import Connection, StatusBar, api_host

if TYPE_CHECKING:
    from plow_tui.client.airy.conversation import AiryConversation, SecretStore
    from plow_tui.client.airy.models import AiryMessage
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


class AiryScreen(Screen[None]):
    """A conversation with one Airy channel: status line, messages, editor."""

    DEFAULT_CSS = """
    AiryScreen {
        & > #airy-header { height: 1; padding: 0 1; background: $boost; }
        & > #airy-failure { height: auto; padding: 0 1; color: $text-error; text-style: bold; display: none; }
        & > Conversation { height: 1fr; }
        & > Compose { border-top: solid $panel; }
    }
    """

    AUTO_FOCUS = "#compose"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "reconnect", "Reconnect", priority=True),
        # Priority: Ctrl+T must work while typing (it is not an editor key).
        Binding("ctrl+t", "agent_answers", "Agent answers (sandbox)", priority=True),
    ]

    class StreamEvent(TextualMessage):
        """Something the conversation's stream reported."""

        def __init__(self, event: AiryEvent) -> None:
            super().__init__()
            self.event = event

    class SendFinished(TextualMessage):
        """A send answered: the stored message, or why it failed."""

        def __init__(self, local_uid: str, text: str, message: AiryMessage | None, error: AiryError | None) -> None:
            super().__init__()
            self.local_uid = local_uid
            self.text = text
            self.message = message
            self.error = error

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
        self._conversation: AiryConversation | None = None
        self._local_ids = itertools.count(1)
        self._agent_lines = itertools.cycle(AGENT_LINES)
        self.failed: AiryError | None = None  # the stream stopped for good
        self._sticky_notice = False
        # Made here, not in compose(): the stream's first events may come before mounting ends.
        self.conversation = Conversation(id="conversation", clock=self._now)
        self.compose_box = Compose(id="compose")

    def _now(self) -> datetime:
        return self.app.now()  # type: ignore[attr-defined]

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
        yield Static(airy_header(self.url, self.channel_id), id="airy-header")
        yield Static("", id="airy-failure")
        yield self.conversation
        yield Notice(id="airy-notice")
        yield self.compose_box
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
        async with aclosing(stream.events()) as events:
            async for event in events:
                self.post_message(self.StreamEvent(event))

    @work(group="airy-send", exit_on_error=False)
    async def _send(self, local_uid: str, text: str) -> None:
        try:
            sent = await self.airy.send(text)
        except AiryError as error:
            self.post_message(self.SendFinished(local_uid, text, None, error))
        else:
            self.post_message(self.SendFinished(local_uid, text, sent, None))

    @work(group="airy-agent", exit_on_error=False)
    async def _ask_agent(self, text: str) -> None:
        import httpx

        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=5) as http:
                conversation_id = self.airy.conversation_id or await _only_conversation(http, self.channel_id)
                if conversation_id is None:
                    self.notify("Send a message first: the agent answers your conversation.", timeout=4)
                    return
                answer = await http.post(f"/sandbox/airy/conversations/{conversation_id}/messages", json={"text": text})
                answer.raise_for_status()
        except httpx.HTTPError as error:
            self.notify(f"The sandbox agent could not answer ({type(error).__name__}).", severity="error", markup=False)

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
            self._show_notice(f"{event.notice} The messages before it belong to the old one.", sticky=True)
            self.notify(event.notice, title="New conversation", severity="warning", timeout=8, markup=False)
        elif isinstance(event, AiryStreamFailed):
            self._fail(event.error)
        self._update_compose()

    def _show(self, messages: Sequence[AiryMessage]) -> None:
        """Add messages the client has not shown before, in time order."""
        now = self._now()
        entries = [airy_entry(m, now) for m in messages]
        shown = self.conversation.entries
        newest = shown[-1].at if shown else None
        if newest is None or all(e.at >= newest or self.conversation.get(e.uid) for e in entries):
            self.conversation.add_entries(entries)
            return
        # A reconnect's history brought something older than what is shown (it
        # came while the socket was down): place it where it belongs.
        fresh = [e for e in entries if self.conversation.get(e.uid) is None]
        self.conversation.add_entries([e for e in entries if self.conversation.get(e.uid) is not None])
        self.conversation.set_entries(sorted([*self.conversation.entries, *fresh], key=lambda e: e.at))

    def _fail(self, error: AiryError) -> None:
        self.failed = error
        failure = self.query_one("#airy-failure", Static)
        failure.update(Text(f"{error_text(error)} Press Ctrl+R to try again."))
        failure.display = True
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

    def _show_notice(self, text: str | None, *, sticky: bool = False) -> None:
        """A line above the editor that stays until it no longer applies (None hides it).

        A `sticky` notice (a restarted conversation) is not hidden by a later send.
        """
        if text is None and self._sticky_notice:
            return
        self._sticky_notice = sticky
        self.query_one("#airy-notice", Notice).show(text)

    @on(Compose.Submitted)
    def _submitted(self, message: Compose.Submitted) -> None:
        message.stop()
        local_uid = f"local-{next(self._local_ids)}"
        self.conversation.add_entries([Entry(local_uid, "you", message.text, self._now(), True, "sending")])
        self.conversation.scroll_to_newest()
        self.compose_box.draft = ""
        self._send(local_uid, message.text)

    @on(SendFinished)
    def _send_finished(self, message: SendFinished) -> None:
        if message.message is not None:
            self._show_notice(None)
            # If the socket's echo came first, `replace` drops the placeholder instead.
            self.conversation.replace(message.local_uid, airy_entry(message.message, self._now()))
            return
        self.conversation.remove_entry(message.local_uid)
        compose = self.compose_box
        compose.draft = message.text if not compose.draft else f"{message.text}\n{compose.draft}"
        self._show_notice(f"Not sent: {message.error} Your text is back in the editor.")

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return not self.standalone
        if action == "reconnect":
            return self.failed is not None
        if action == "agent_answers":
            return self.sandbox
        return True

    def action_back(self) -> None:
        if not self.standalone:
            self.dismiss()

    def action_reconnect(self) -> None:
        if self.failed is None:
            return
        self.failed = None
        self.query_one("#airy-failure", Static).display = False
        self._update_compose()
        self._follow()

    def action_agent_answers(self) -> None:
        if self.sandbox:
            self._ask_agent(next(self._agent_lines))

    def system_commands(self) -> Iterable[SystemCommand]:
        """Palette entries for this screen's actions (the app adds them to its own)."""
        if self.sandbox:
            yield SystemCommand("Agent answers (sandbox)", "Have the sandbox's agent answer you", self.action_agent_answers)
        if self.failed is not None:
            yield SystemCommand("Reconnect", "Try the Airy channel again", self.action_reconnect)
        if self.conversation.selected_uid is not None:
            yield SystemCommand("Copy message", "Copy the selected message's text", self.conversation.action_copy)
            yield SystemCommand("Open link", "Open the first link in the selected message", self.conversation.action_open_link)
        if not self.standalone:
            yield SystemCommand("Back", "Leave the Airy conversation", self.action_back)


async def _only_conversation(http: Any, channel_id: str) -> str | None:
    """The sandbox's one conversation on `channel_id`, when there is exactly one."""
    listing = await http.get("/sandbox/airy/conversations")
    listing.raise_for_status()
    ids = [c.get("id") for c in listing.json().get("conversations", []) if c.get("channel_id") == channel_id]
    return ids[0] if len(ids) == 1 else None
