"""A temporary landing screen after sign-in: names the account's chats.

The main screen (chat list + conversation) replaces it through
`PlowApp.show_chats()`; until then this proves the token works by listing
the chats, and shows the chat that activation provisioned.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from plow_tui.client.errors import NotSignedIn, PlowError
from plow_tui.client.phone import format_phone
from plow_tui.tui.widgets.status_bar import Connection, StatusBar

if TYPE_CHECKING:
    from plow_tui.client.models import Chat
    from plow_tui.tui.app import PlowApp


def chat_line(chat: Chat) -> Text:
    """`Ada · +1 (555) 000-0001 · active`, literally (names come from the network)."""
    parts = [chat.title]
    if chat.number:
        parts.append(format_phone(chat.number))
    if chat.status:
        parts.append(chat.status)
    return Text(" · ".join(parts))


def account_label(chat: Chat | None) -> str | None:
    """The owner's name and number, from a chat they own."""
    if chat is None:
        return None
    for member in chat.members:
        if member.is_owner:
            number = format_phone(member.provider_key) if member.provider_key else ""
            return " ".join(p for p in (member.display_name, number) if p) or None
    return None


class SignedInScreen(Screen[None]):
    """Placeholder for the main screen: the provisioned chat and the chat list."""

    BINDINGS = [
        Binding("r", "reload", "Reload"),
        Binding("escape", "quit", "Quit", show=False),
    ]

    class Loaded(Message):
        """The chat list arrived (or failed: `error`)."""

        def __init__(self, chats: list[Chat] | None, error: PlowError | None = None) -> None:
            super().__init__()
            self.chats = chats
            self.error = error

    def __init__(self, token: str, chat: Chat | None = None) -> None:
        super().__init__()
        self.__token = token  # name-mangled: kept off the screen's public surface
        self.provisioned = chat

    def __repr__(self) -> str:
        return f"SignedInScreen(chat={self.provisioned.uid if self.provisioned else None!r})"

    @property
    def plow(self) -> PlowApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        config = self.plow.config
        yield StatusBar(config.api_url, sandbox=config.sandbox)
        with VerticalScroll(id="signed-in"):
            yield Label("Signed in", id="signed-in-heading")
            if self.provisioned is not None:
                yield Label("Your chat", classes="muted")
                yield Static(chat_line(self.provisioned), id="signed-in-chat")
            yield Label("Chats", classes="muted")
            yield Static("Loading…", id="signed-in-chats")
            yield Static(Text(f"Token storage: {self.plow.token_store.location}"), classes="muted", id="signed-in-storage")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(StatusBar).account = account_label(self.provisioned)
        self._load()

    @work(exclusive=True, group="chats", exit_on_error=False)
    async def _load(self) -> None:
        self.query_one(StatusBar).set_connection(Connection.CONNECTING)
        try:
            async with self.plow.client(self.__token) as api:
                chats = await api.chats()
        except NotSignedIn:
            await self.plow.sign_out("The saved sign-in was refused; sign in again.")
            return
        except PlowError as exc:
            self.post_message(self.Loaded(None, exc))
            return
        self.post_message(self.Loaded(chats))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        bar = self.query_one(StatusBar)
        target = self.query_one("#signed-in-chats", Static)
        if event.error is not None:
            bar.set_connection(Connection.OFFLINE)
            target.update(Text(f"{event.error.message} Press r to try again."))
            return
        bar.set_connection(Connection.IDLE)
        bar.last_event = self.plow.now()
        chats = event.chats or []
        if bar.account is None:
            bar.account = next((label for label in map(account_label, chats) if label), None)
        if not chats:
            target.update("No chats yet.")
            return
        text = Text()
        for index, chat in enumerate(chats):
            if index:
                text.append("\n")
            text.append_text(chat_line(chat))
        target.update(text)

    def action_reload(self) -> None:
        self.query_one("#signed-in-chats", Static).update("Loading…")
        self._load()

    def action_quit(self) -> None:
        self.app.exit()

    def system_commands(self) -> Iterable[SystemCommand]:
        """Palette entries for this screen."""
        yield SystemCommand("Reload chats", "Fetch the chat list again", self.action_reload)
