"""The main screen: the chat list on the left, the open chat on the right.

Workers do all network I/O and post Messages; handlers only update widgets.
A `ChatFeed` (one all-chats stream) feeds every chat: messages land in the
right pane, bump unread counts of chats that are not open, and update
statuses live.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, getters, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Input, Static

from plow_tui.record import replace
from plow_tui.tui.screens.frames import PromptScreen
from plow_tui.tui.widgets.footer import KeyFooter

from plow_tui.client.errors import NetworkError, NotFound, NotSignedIn, PlowError, RateLimited, ServerUnavailable
from plow_tui.client.models import Chat, Member, ChatMessage
from plow_tui.terminal_text import error_text
from plow_tui.tui.app import PlowApp
from plow_tui.tui.plow import chats_messages as msg
from plow_tui.tui.plow.chat_admin import ChatAdmin, delete_question, waiting_members
from plow_tui.tui.plow.chat_rows import ChatRows
from plow_tui.tui.plow.draft_keeper import DraftKeeper
from plow_tui.tui.plow.local_history import LocalHistory
from plow_tui.tui.plow.search_jump import entries_from_hit, messages_from_hit, search_screen
from plow_tui.tui.plow.views import (
    GAP_PREFIX,
    EntriesAhead,
    MAX_BODY,
    account_label,
    author_of,
    delivery_failure,
    failure_reasons,
    gap_below,
    gap_entry,
    later_state,
    message_entries,
    message_entry,
    split_body,
)
from plow_tui.tui.plow.chat_book import ChatBook, in_order
from plow_tui.tui.plow.chat_feed import ChatFeed
from plow_tui.tui.widgets.chat_list import ChatList
from plow_tui.tui.widgets.view_models import Entry, first_unread
from plow_tui.tui.widgets.status_bar import Connection, StatusBar

if TYPE_CHECKING:
    from concurrent.futures import Future

    from textual.widgets import ContentSwitcher

    from plow_tui.client import events as ev

    from plow_tui.client.http import PlowClient
    from plow_tui.store.unsent import Unsent
    from plow_tui.tui.plow.chat_pane import ChatPane
    from plow_tui.tui.plow.outbox import Outbox
    from plow_tui.tui.widgets.chat_panel import ChatPanel
    from plow_tui.tui.widgets.compose import Compose
    from plow_tui.tui.widgets.conversation import Conversation
    from plow_tui.tui.plow.phone import Draft


PAGE_SIZE = 50
LOAD_CHATS = "load your chats"
PREVIEW_CONCURRENCY = 8  # preview requests in flight at once
PREVIEW_BATCH = 50  # previews applied to the list together
LOAD_RETRY_MAX = 30.0  # seconds: the longest wait between tries to load the chats while the server is unreachable
_entry_time = attrgetter("at")  # an entry's time, for `in_order` at C speed


def first_rows(height: int) -> int:
    """How many chats the first frame reads from the local history: as many as `height` lines can show.

    A row is at least two lines; the rest of the list follows right after
    the first frame. Each chat read before it is a row built and styled.
    """
    return height // 2 + 1


class ChatsScreen(PromptScreen[None]):
    """Chat list, conversation and editor, fed by one live stream for every chat."""

    # chats.tcss is loaded with PlowApp's stylesheets (see PlowApp.CSS_PATH).
    BINDINGS = [
        Binding("ctrl+n", "new_chat", "New chat"),
        # Priority: the editor (a TextArea) would take Ctrl+U as "delete to line start".
        # Short words for the footer, the tooltips are what the keys screen says.
        Binding("ctrl+u", "next_unread", "Unread", tooltip="Next chat with unread messages", priority=True),
        Binding("slash", "filter", "Filter", tooltip="Filter the chat list"),
        # Priority: they work from the editor too (neither key means anything in it).
        Binding("ctrl+f", "find", "Find in chat", priority=True, show=False),
        Binding("ctrl+g", "search_all", "Search all chats", priority=True, show=False),
        Binding("ctrl+r", "reload", "Reload", tooltip="Reload the chats (and reconnect now if offline)", show=False),  # in the keys screen and palette: the footer is full
        Binding("r", "retry_send", "Retry send"),
        Binding("s", "resend_code", "New codes", tooltip="Send the waiting members new codes"),
        Binding("d", "delete_chat", "Delete", tooltip="Delete this chat"),
        Binding("R", "recreate_chat", "Recreate", tooltip="Delete this failed chat and create it again"),
        Binding("escape", "close_filter", "Close filter", show=False),
        # Textual binds these already; here again so the keys screen lists them in our words.
        Binding("tab", "app.focus_next", "Chat list → messages → editor", show=False),
        Binding("shift+tab", "app.focus_previous", "Back one area", show=False),
    ]

    # -- messages from workers and helpers (chats_messages.py; named here too) --------

    ChatsLoaded = msg.ChatsLoaded
    PreviewsLoaded = msg.PreviewsLoaded
    PageLoaded = msg.PageLoaded
    GapFilled = msg.GapFilled
    ChatChanged = msg.ChatChanged
    JumpLoaded = msg.JumpLoaded
    ChatRemoved = msg.ChatRemoved
    Failed = msg.Failed

    def __init__(self, token: str, provisioned: Chat | None = None) -> None:
        super().__init__()
        self._token = token
        self._provisioned = provisioned
        # The chats and their rules (unread, previews, codes, early arrivals, drafts).
        self.book = ChatBook()
        self._rows = ChatRows(self.book, lambda: self.query_one(ChatList), self.set_timer)
        self._unread_at_open: dict[str, int] = {}  # unread count when a chat was opened, until its page is shown
        self._panes: dict[str, ChatPane] = {}  # one per chat opened
        self._api: PlowClient | None = None
        self.chats_loaded = False  # the first `GET /v1/chats` has answered
        self.stream_live = False  # the live stream is connected and caught up
        self._gaps: dict[str, str] = {}  # chat uid -> the oldest message a cut catch-up kept, until it is shown
        self._entries_ahead = EntriesAhead()  # the open chats' entries of a catch-up's pages, until its batch
        self._rendered_ahead: set[str] = set()  # chats whose newest page's lines this catch-up rendered ahead
        self.drafts: DraftKeeper  # (below: it writes through `history`)
        # The account's local history; `last_known` while the list shown came from it.
        self.history = LocalHistory(lambda: self.plow_app.histories, token, self.notify)
        self.drafts = DraftKeeper(self.book, self._panes, self.set_timer, self.history, lambda: self.plow_app.histories)
        self._admin = ChatAdmin(lambda: self.api, self.post_message, self.notify)
        self.last_known = False
        self._load_failures = 0  # tries to load the chats that failed in a row (server unreachable)

    plow_app = getters.app(PlowApp)  # the app, typed (it asserts the screen runs in one)

    def chat(self, chat_uid: str) -> Chat | None:
        """The chat `chat_uid` as this screen knows it now."""
        return self.book.chats.get(chat_uid)

    @property
    def open_uid(self) -> str | None:
        """The uid of the chat shown on the right, if any."""
        return self.book.open_uid

    @property
    def _feed(self) -> ChatFeed:
        return self.query_one(ChatFeed)

    @property
    def api(self) -> PlowClient:
        if self._api is None:
            self._api = self.plow_app.client(self._token)
        return self._api

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        config = self.plow_app.config
        yield StatusBar(config.api_url, sandbox=config.sandbox, id="status")
        # The sidebar and the panes side by side in the screen's own (horizontal)
        # layout, between the docked status bar and footer: a container around
        # them was one more widget to style and 38 more lines to draw before the
        # first frame (~1% of start-up's instructions).
        with Vertical(id="sidebar"):
            yield Static("Chats", id="sidebar-title")
            # The filter box (`/`) is mounted when first opened: hidden until then, it
            # cost its styles and widgets before the first frame for nothing.
            yield ChatList(id="chat-list", clock=self.plow_app.now)
        # The note about the chats until one is open; the chats' panes (a
        # ContentSwitcher, `#panes`) come with the first chat opened.
        yield Static("Loading your chats…", id="no-chat", classes="muted")
        # Each catch-up holds the app's cyclic GC until its batch is shown (`_stream_event` releases
        # it), and the open chats' entries are made page by page while it waits for the server.
        options = {"on_catch_up": self._catch_up_starts, "on_catch_up_page": self._catch_up_page, **self.plow_app.stream_options}
        yield ChatFeed(lambda: self.api, stream_options=options, id="feed")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ChatList).focus()
        if self._provisioned is not None:
            # Just signed in with a new chat: the next thing to do is write in it.
            self._paint_from_history()
            if self.history.writer is None:
                # A first sign-in: its chat names the account, so its store can open now, before anything is typed.
                self._start_history([self._provisioned])
            self.drafts.load()
            self.update_chat(self._provisioned)
            self.open_chat(self._provisioned.uid, focus_editor=True)
        else:
            painted = self._paint_newest_from_history()
            self.drafts.load()  # from the store just opened, if the account is known
            if painted:
                # The rest of the list, then the chat open last time, after the first frame.
                self.call_after_refresh(self._paint_from_history, reopen=True)
        # After the first paint: creating the API client imports httpx and
        # builds a TLS context (~80 ms) that should not delay the first frame.
        self.call_after_refresh(self._load_chats)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._mark_sidebar_focus()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._mark_sidebar_focus()

    def _mark_sidebar_focus(self) -> None:
        """The sidebar's title shows whether the focus is in the sidebar (the list or its filter).

        A class on the title, not `#sidebar:focus-within #sidebar-title`: Textual
        (8.2.8, `Screen._update_focus_styles`) restyles on a focus change only the
        focused widget's ancestors that a `:focus-within` rule matches themselves,
        never a descendant of one, so that title kept what it had when the whole
        screen was last restyled (lit while the editor had the focus).
        """
        try:
            sidebar = self.query_one("#sidebar")
            title = self.query_one("#sidebar-title")
        except NoMatches:  # a focus change while the screen is taken down
            return
        focused = self.focused
        title.set_class(focused is not None and sidebar in focused.ancestors_with_self, "-focused")

    async def on_unmount(self) -> None:
        self.drafts.close()
        self.history.close()  # after what is queued has been written
        if self._api is not None:
            await self._api.aclose()

    # -- workers: all the network I/O of this screen ---------------------------------

    @work(exclusive=True, group="load-chats", exit_on_error=False)
    async def _load_chats(self) -> None:
        try:
            chats = await self.api.chats()
        except PlowError as error:
            self.post_message(self.Failed(LOAD_CHATS, error))
            return
        self.post_message(self.ChatsLoaded(chats))

    @work(exclusive=True, group="previews", exit_on_error=False)
    async def _load_previews(self, chat_uids: list[str]) -> None:
        """The newest message of each chat: the list's previews and the stream's anchors.

        One request per chat, at most `PREVIEW_CONCURRENCY` at a time, answers
        posted in batches so a thousand chats cost a few list rebuilds, not a
        thousand. The live stream starts once they are in, from exactly these
        messages: it then needs no lookups of its own, and it backfills
        anything that arrived in between.
        """
        gate = asyncio.Semaphore(PREVIEW_CONCURRENCY)

        async def newest(chat_uid: str) -> tuple[str, ChatMessage | None, bool]:
            async with gate:
                try:
                    page = await self.api.messages(chat_uid, limit=1)
                except PlowError:
                    return chat_uid, None, False  # the chat still opens; its preview stays empty
            first = page.data[0] if page.data else None
            return chat_uid, first if isinstance(first, ChatMessage) else None, True

        batch: dict[str, ChatMessage | None] = {}
        for task in asyncio.as_completed([newest(uid) for uid in chat_uids]):
            chat_uid, message, ok = await task
            if ok:
                batch[chat_uid] = message
            if len(batch) >= PREVIEW_BATCH:
                self.post_message(self.PreviewsLoaded(batch))
                batch = {}
        self.post_message(self.PreviewsLoaded(batch, done=True))

    def _follow(self) -> None:
        """Have the feed follow every chat listed (and, per-chat mode, every chat opened)."""
        if self._feed.follow(self.book.anchors(), opened=list(self._panes)):
            self.query_one(StatusBar).set_connection(Connection.CONNECTING)

    @work(group="history", exit_on_error=False)
    async def _load_page(self, chat_uid: str, starting_after: str | None) -> None:
        """A page of a chat: from the local store as far as it goes, the rest from the server.

        The store holds an unbroken run of each chat's newest messages (the stream
        catches up from the newest one stored), so only what is older than its
        oldest is ever asked for.
        """
        older = starting_after is not None
        stored: list[ChatMessage] = []
        if self.history.writer is not None:
            history = self.history.writer
            stored, gap = await history.call(history.store.page, chat_uid, limit=PAGE_SIZE, before=starting_after)
            if len(stored) == PAGE_SIZE or gap:  # a gap is loaded when the reader scrolls up to it (`_fill_gap`)
                self.post_message(self.PageLoaded(chat_uid, stored, True, older=older, gap=gap))
                return
        try:
            page = await self.api.messages(
                chat_uid, limit=PAGE_SIZE - len(stored), starting_after=stored[-1].uid if stored else starting_after
            )
        except PlowError as error:
            if stored or (not older and self.history.writer is not None):
                # Offline: what is stored is what can be shown, even nothing (the texts
                # waiting to go out show below it, and the stream catches up once back).
                self.post_message(self.PageLoaded(chat_uid, stored, True, older=older))
            else:
                self.post_message(self.Failed("load messages", error))
            if isinstance(error, NotFound):
                self.post_message(self.ChatRemoved(chat_uid, "This chat no longer exists."))
            return
        fetched = [m for m in page.data if isinstance(m, ChatMessage)]
        self.history.write("add_messages", fetched)
        self.post_message(self.PageLoaded(chat_uid, stored + fetched, page.has_more, older=older))

    @work(group="history", exit_on_error=False)
    async def _fill_gap(self, chat_uid: str, above: str) -> None:
        """One page of the messages missing below `above` (a catch-up cut short), from the server into the store.

        The API pages towards older messages from a cursor: the page just below
        `above`, kept down to the first message the store already holds (the
        gap is closed there, or at the chat's first message); otherwise the gap
        is now below the oldest of them.
        """
        history = self.history.writer
        if history is None:
            return
        try:
            page = await self.api.messages(chat_uid, limit=PAGE_SIZE, starting_after=above)
        except PlowError as error:
            self.post_message(self.GapFilled(chat_uid, above, [], closed=False))
            self.post_message(self.Failed("load older messages", error))
            return
        fetched = [m for m in page.data if isinstance(m, ChatMessage) and m.uid]
        known = await history.call(history.store.known, [m.uid for m in fetched])
        new = list(itertools.takewhile(lambda m: m.uid not in known, fetched))
        closed = len(new) < len(fetched) or not page.has_more
        await history.call(history.store.fill_gap, chat_uid, above, new, closed)
        self.post_message(self.GapFilled(chat_uid, above, new, closed))

    @work(group="manage", exit_on_error=False)
    async def _resend_code(self, chat: Chat, member: Member) -> None:
        await self._admin.resend_code(chat, member)

    @work(group="manage", exit_on_error=False)
    async def _delete(self, chat: Chat, recreate: bool) -> None:
        await self._admin.delete(chat, recreate)

    # -- handlers: update widgets from what workers found ----------------------------

    @on(ChatsLoaded)
    def _chats_loaded(self, message: ChatsLoaded) -> None:
        if not self.chats_loaded:
            unsent = self.drafts.unsent_notice(message.chats)
            if unsent is not None:
                self.notify(unsent, timeout=10, markup=False)
        self.chats_loaded = True
        self._load_failures = 0
        self._server_answered()
        if self.history.writer is None:
            self._start_history(message.chats)
        self.history.write("save_chats", list(message.chats), complete=True)
        listed = self.book.chats_loaded(message.chats)
        for chat in message.chats:
            self.update_chat(chat, refresh_row=False, persist=False)
        for uid in listed.removed:
            self._remove_chat(uid)
        self._rows.refresh_many(self.book.chats)  # one rebuild for the whole list
        self.query_one(StatusBar).account = account_label(message.chats)
        if self.book.open_uid is None:
            placeholder = self.query_one("#no-chat", Static)
            placeholder.update(
                "Pick a chat on the left (Enter), or press Ctrl+N for a new one."
                if message.chats
                else "No chats yet. Press Ctrl+N to create one."
            )
        if listed.without_preview:
            self._load_previews(list(listed.without_preview))  # then follows
        elif not self._feed.covers(self.book.chats):
            self._follow()

    @on(PreviewsLoaded)
    def _previews_loaded(self, message: PreviewsLoaded) -> None:
        self.history.write("add_messages", [m for m in message.newest.values() if m is not None])
        self._rows.refresh_many(self.book.previews_loaded(message.newest))
        if message.done and not self._feed.covers(self.book.chats):
            self._follow()

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        pane = self.pane(message.chat_uid)
        if pane is None:
            return
        now = self.plow_app.now()
        entries = message_entries(reversed(message.messages), now)
        pane.loading_older = False
        if message.older:
            pane.has_older = message.has_more
            pane.conversation.prepend_older(entries)
        elif pane.loaded:
            self._add_newer(pane, entries)  # a search hit opened the chat first: keep its order
            return
        else:
            pane.has_older = message.has_more
            pane.loaded = True
            pane.conversation.add_entries(entries)
        if message.gap and entries:
            pane.conversation.prepend_older([gap_entry(entries[0])])  # filled when the reader scrolls up to it
        if message.older:
            return
        early = self.book.first_page_loaded(message.chat_uid, message.messages)
        if message.messages:
            self._rows.refresh_soon(message.chat_uid)
        self._replay(pane, early)
        pane.outbox.show_restored()  # below the page, so a text that did land is seen to have
        if self.stream_live:
            pane.outbox.resume_waiting()  # texts that waited for the server before the restart
        self._mark_unread(pane)

    @on(GapFilled)
    def _gap_filled(self, message: GapFilled) -> None:
        """Put what came from a gap in its place: the gap line goes, or moves above them."""
        pane = self.pane(message.chat_uid)
        if pane is None:
            return
        pane.loading_older = False
        if not message.messages and not message.closed:
            return  # could not load (offline): the line stays
        conversation = pane.conversation
        conversation.remove_entry(GAP_PREFIX + message.above)
        now = self.plow_app.now()
        entries = message_entries(reversed(message.messages), now)
        conversation.prepend_older(entries)
        if not message.closed:
            conversation.prepend_older([gap_entry(entries[0])])
        pane.has_older = True  # closed: what is older is in the store (or there is none: the next page says so)

    def _show_gap(self, pane: ChatPane, above: str) -> None:
        """A cut catch-up left a hole just below `above` in what an open pane shows.

        What is older than the hole goes from the pane (it is in the store, and
        comes back when the reader has scrolled past the filled hole); the gap
        line takes its place at the top, so scrolling up reaches it.
        """
        conversation = pane.conversation
        entries = list(conversation.entries)
        index = next((i for i, entry in enumerate(entries) if entry.uid == above), None)
        if index is None:
            return
        # One by one, not `set_entries`: the reader keeps their place (a pane
        # holds a few pages, so this stays cheap).
        for entry in entries[:index]:
            conversation.remove_entry(entry.uid)
        conversation.prepend_older([gap_entry(entries[index])])
        pane.has_older = True

    def _replay(self, pane: ChatPane, early: Iterable[ChatMessage]) -> None:
        """Apply what the stream said while the pane's first page loaded (see `ChatBook.early`)."""
        now = self.plow_app.now()
        for arrived in early:
            shown = pane.conversation.get(arrived.uid)
            if shown is None:
                self._add_newer(pane, [message_entry(arrived, now)], failure_reasons([arrived]))
            elif shown.outbound:
                pane.conversation.update_state(arrived.uid, later_state(shown.state, arrived.status))

    def _catch_up_starts(self) -> None:
        self.plow_app.hold_gc()
        self._entries_ahead.clear()
        self._rendered_ahead.clear()

    def _catch_up_page(self, messages: Sequence[ChatMessage]) -> None:
        """A page of a catch-up (one chat's, newest first), sorted out while its walk waits for the next:
        the entries of the open chats' messages, and the lines of the open chat's newest page."""
        panes = self._panes
        if not panes:
            return
        made = self._entries_ahead.prepare([m for m in messages if m.chat_uid in panes], self.plow_app.now())
        chat_uid = messages[0].chat_uid if messages else None
        pane = panes.get(chat_uid or "")
        if made and pane is not None and chat_uid == self.book.open_uid and chat_uid not in self._rendered_ahead:
            self._rendered_ahead.add(chat_uid)  # its first page: what the bottom of its conversation will show
            if pane.loaded:
                pane.conversation.render_ahead(made[::-1])

    @on(ChatFeed.Event)
    def _stream_event(self, message: ChatFeed.Event) -> None:
        # Imported here: the stream's events are not needed before the first frame.
        from plow_tui.client import events as ev

        event = message.event
        status = self.query_one(StatusBar)
        if isinstance(event, ev.ConnectionChanged):
            if event.state != "connecting":
                self._release_gc_when_painted()
            status.show_stream_state(event)
            self.stream_live = event.state == "live"
            if event.state == "offline":
                self.plow_app.notifier.offline()
            elif self.stream_live:
                self.plow_app.notifier.online()
                self._send_waiting()
            if self.stream_live and self.last_known:
                self.last_known = status.last_known = False  # caught up: what is shown is current
            return
        status.last_event = self.plow_app.now()
        if isinstance(event, ev.MessagesArrived):
            # A burst comes as one event (the feed gathers it): one list update, one repaint.
            self._messages_arrived(event.messages)
        elif isinstance(event, ev.MessageStatusChanged):
            self._status_changed(event.message)
        elif isinstance(event, ev.ParticipantVerified):
            self._member_verified(event.chat_uid, event.member)
        elif isinstance(event, ev.ChatActivated):
            known = self.book.chats.get(event.chat.uid)
            if known is not None and not event.chat.members:
                # A bare `chat_active` (uid and status only): keep what we know.
                self.update_chat(replace(known, status=event.chat.status or "active"))
            else:
                self.update_chat(event.chat)
            self.notify(f"{event.chat.title} is active: you can text now.", title="Chat active", markup=False)
        elif isinstance(event, ev.ChatFailed):
            self._chat_failed(event)
        elif isinstance(event, ev.MessagesSkipped):
            kept = self.history.writer is not None and event.chat_uid and event.oldest_kept
            if kept:
                self.history.write("add_gap", event.chat_uid, event.oldest_kept)
                self._gaps[event.chat_uid] = event.oldest_kept  # shown once its messages are (`_messages_arrived`)
            self.notify(
                "Some older messages were not loaded after reconnecting: scroll up in the chat to load them."
                if kept
                else "Some older messages were not loaded after reconnecting; showing the newest.",
                title="Catching up",
                severity="warning",
                markup=False,
            )

    def _release_gc_when_painted(self) -> None:
        """A catch-up is over (live: its batch, handled just before, is painted next; reconnecting,
        offline: it failed): end `PlowApp.hold_gc` once the screen shows it.

        After the open conversation's next refresh: it tells the screen it changed when its
        own queue runs, and the screen, finding nothing to paint before that, would run a
        callback of its own at once, before the batch is painted.
        """
        pane = self.pane(self.book.open_uid) if self.book.open_uid else None
        if pane is None or not pane.conversation.call_after_refresh(self.plow_app.release_gc):
            self.call_after_refresh(self.plow_app.release_gc)

    # A chat's pane and its widgets (ChatPane, Outbox, Conversation, the Compose
    # editor, a TextArea: a tenth of the start-up imports) load when the first
    # chat opens, not before the list's first frame; so their messages are
    # handled by name (`on_outbox_sent` is `@on(Outbox.Sent)`), not `@on(class)`.
    def on_outbox_sent(self, message: Outbox.Sent) -> None:
        self.history.write("add_messages", [message.message])
        self._note_last(message.chat_uid, message.message)
        self._server_answered()

    def on_outbox_sign_in_refused(self, message: Outbox.SignInRefused) -> None:
        self._handle_error("send your message", message.error)

    @on(ChatChanged)
    def _chat_changed(self, message: ChatChanged) -> None:
        if message.open_it:
            self.book.created(message.chat, message.codes)
        else:
            self.book.add_codes(message.chat.uid, message.codes)
        self.history.write("save_codes", message.chat.uid, list(message.codes))
        self.update_chat(message.chat)
        if message.open_it:
            self.open_chat(message.chat.uid)
        if not self._feed.covers([message.chat.uid]):
            self._follow()

    @on(ChatFeed.Failed)
    def _feed_failed(self, message: ChatFeed.Failed) -> None:
        self._handle_error("follow your chats live", message.error)

    @on(ChatFeed.Gone)
    def _feed_gone(self, message: ChatFeed.Gone) -> None:
        self.post_message(self.ChatRemoved(message.chat_uid, "This chat no longer exists."))

    @on(ChatRemoved)
    def _chat_removed(self, message: ChatRemoved) -> None:
        if message.chat_uid in self.book.chats:
            self._remove_chat(message.chat_uid)
            self.notify(message.why, timeout=4, markup=False)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        unreachable = isinstance(message.error, (NetworkError, ServerUnavailable, RateLimited))
        if message.what == LOAD_CHATS and unreachable and not self.chats_loaded:
            # Offline (what is stored still shows): try again, less and less often, and
            # say so once, not at every try. When the server is back, the list, the
            # stream and its catch-up follow on their own.
            self._load_failures += 1
            wait = min(LOAD_RETRY_MAX, 2.0 ** self._load_failures)
            self.set_timer(wait, self._load_chats)
            self.query_one(StatusBar).set_connection(Connection.OFFLINE, retry_in=round(wait))
            if self._load_failures > 1:
                return
        self._handle_error(message.what, message.error)
        if message.what == LOAD_CHATS and not self.chats_loaded:
            self.query_one("#no-chat", Static).update(
                Text(
                    f"Could not load your chats: {error_text(message.error)} "
                    + ("Trying again on its own; Ctrl+R tries now." if unreachable else "Press Ctrl+R to try again.")
                )
            )

    def _handle_error(self, what: str, error: PlowError) -> None:
        if isinstance(error, NotSignedIn):
            self.run_worker(self.plow_app.sign_out("Your sign-in was refused. Sign in again by text."))
            return
        self.notify(f"Could not {what}: {error_text(error)}", severity="error", timeout=8, markup=False)

    # -- reacting to the stream -------------------------------------------------------

    def _messages_arrived(self, messages: Sequence[ChatMessage]) -> None:
        self.history.add_live_messages(messages)  # with the rest of the burst: one transaction, off this thread
        now = self.plow_app.now()
        for arrival in self.book.messages_arrived(messages):
            pane = self.pane(arrival.chat_uid)
            if pane is not None and arrival.show:
                self._add_newer(pane, self._entries_ahead.entries(arrival.show, now), failure_reasons(arrival.show))
            gap = self._gaps.pop(arrival.chat_uid, None)
            if gap is not None and pane is not None and pane.loaded:
                # Once the batch is laid out: the conversation then knows the reader is not at the top.
                self.call_after_refresh(self._show_gap, pane, gap)
            if arrival.newest_inbound is not None:  # the notifier decides: only while unfocused, with a cooldown (tui/notify.py)
                self.plow_app.notifier.message(author_of(arrival.newest_inbound), arrival.newest_inbound.body)
            self._rows.refresh_soon(arrival.chat_uid)
            if arrival.unknown:
                self._load_chats()  # a chat we have not listed yet (created elsewhere)
        self._entries_ahead.clear()  # taken (another stream catching up meanwhile: its batch makes its own)

    @staticmethod
    def _add_newer(pane: ChatPane, entries: list[Entry], reasons: dict[str, str | None] | None = None) -> None:
        """Append `entries` below what the pane shows, in order (see `chat_book.in_order`).

        `reasons` are the server's reasons for texts that arrive already failed (by uid), so a
        failure first seen in a catch-up says why as the live update would.
        """
        conversation = pane.conversation
        entries = in_order(
            entries,
            at=_entry_time,
            oldest_shown=conversation.entries[0].at if conversation.entries else None,
            has_older=pane.has_older,
            shown=lambda e: conversation.get(e.uid) is not None,
        )
        conversation.add_entries(entries)
        for entry in entries:  # a text that arrives already marked failed (a catch-up, an echo)
            if entry.outbound and entry.state == "failed":
                pane.outbox.delivery_failed(entry.uid, entry.body, (reasons or {}).get(entry.uid))

    def _status_changed(self, message: ChatMessage) -> None:
        self.history.write("set_status", message.uid, message.status)
        pane = self.pane(message.chat_uid or "")
        if pane is None or not self.book.status_changed(message):
            return
        shown = pane.conversation.get(message.uid)
        if shown is not None:
            state = later_state(shown.state, message.status)
            pane.conversation.update_state(message.uid, state)
            if state == "failed" and shown.state != "failed" and shown.outbound:
                pane.outbox.delivery_failed(message.uid, shown.body, delivery_failure(message))

    def _member_verified(self, chat_uid: str | None, member: Member) -> None:
        chat = self.book.member_verified(chat_uid, member)
        if chat is None:
            self._load_chats()  # a chat made elsewhere (another device): list it
            return
        self.update_chat(chat)
        self.notify(f"{member.display_name or 'A member'} verified.", timeout=4, markup=False)

    def _chat_failed(self, event: ev.ChatFailed) -> None:
        chat = self.book.chats.get(event.chat_uid or "")
        if chat is None:
            return
        self.update_chat(replace(chat, status="failed", failure_reason=event.reason or event.message))
        self.notify(
            f"{chat.title} failed: {event.reason or event.message or 'no reason given'}", severity="error", markup=False
        )

    # -- the local history -------------------------------------------------------------

    def _start_history(self, chats: list[Chat]) -> None:
        """Open the store of the account `chats` name; it takes in the drafts and texts kept before it was known."""
        self.drafts.account_store_opening()
        self.history.start(chats, self.book)
        self.drafts.account_store_opened()

    def _paint_newest_from_history(self) -> bool:
        """Show the top of the chat list as the last run left it, for the first frame; whether there was one."""
        chats = self.history.restore_newest(self.book, first_rows(self.app.size.height))
        if chats:
            self._show_last_known(chats)
        return bool(chats)

    def _paint_from_history(self, *, reopen: bool = False) -> None:
        """Show the chats as the last run left them, before the server answers (`reopen`: and open the chat open last)."""
        chats, last_open = self.history.restore(self.book)
        if not chats:
            return
        self._show_last_known(chats)
        if reopen and last_open is not None:
            self.open_chat(last_open)  # after the list's first frame: a pane costs more than the list it follows

    def _show_last_known(self, chats: list[Chat]) -> None:
        self._rows.refresh_many(self.book.chats)
        status = self.query_one(StatusBar)
        status.account = account_label(chats)
        self.last_known = status.last_known = True
        self.query_one("#no-chat", Static).update("Pick a chat on the left (Enter), or press Ctrl+N for a new one.")

    # -- bookkeeping ---------------------------------------------------------------------

    def pane(self, chat_uid: str) -> ChatPane | None:
        """The pane of chat `chat_uid`, if it has been opened."""
        # A dict, not a DOM query: a pane just added is still being mounted.
        return self._panes.get(chat_uid)

    def update_chat(self, chat: Chat, *, refresh_row: bool = True, persist: bool = True) -> None:
        """Add `chat` to the list or update its row and pane (and the store, unless `persist=False`)."""
        self.book.update(chat)
        if persist:
            self.history.write("save_chat", chat)
        if refresh_row:
            self._rows.refresh(chat.uid)
        pane = self.pane(chat.uid)
        if pane is not None:
            pane.update_chat(chat)

    def _remove_chat(self, chat_uid: str) -> None:
        was_open = self.book.open_uid == chat_uid
        if self.book.remove(chat_uid):
            self.drafts.save()  # a deleted chat's draft and unsent texts have nowhere to go
        self.history.write("remove_chat", chat_uid)
        self._feed.forget(chat_uid)
        self.query_one(ChatList).remove_chat(chat_uid)
        pane = self._panes.pop(chat_uid, None)
        if pane is not None:
            if was_open:
                self._show_on_the_right(None)
            pane.remove()

    def _note_last(self, chat_uid: str, message: ChatMessage) -> None:
        self.book.note_last(chat_uid, message)
        self._rows.refresh_soon(chat_uid)

    # -- opening a chat ------------------------------------------------------------------

    def open_chat(self, chat_uid: str, *, focus_editor: bool = False) -> None:
        """Show chat `chat_uid` on the right (creating its pane the first time)."""
        chat = self.book.chats.get(chat_uid)
        if chat is None:
            return
        pane = self.pane(chat_uid)
        previous = self.book.open_uid
        # The "new messages" line: where the unread part starts, drawn once the page is there.
        self._unread_at_open[chat_uid] = self.book.unread.get(chat_uid, 0)
        first, unsent = self.book.open(chat_uid)
        if first:
            self._add_pane(chat, unsent, focus_editor=focus_editor, shown=True)
        elif pane is not None:
            self._show_on_the_right(pane.id)
            if focus_editor:
                pane.compose_box.focus()
            if pane.loaded:
                self._mark_unread(pane)
        if previous != chat_uid:
            self.history.write("set_meta", "open_chat", chat_uid)  # reopened at the next start
        self._rows.refresh(chat_uid)
        self.query_one(ChatList).select_uid(chat_uid)

    def _switcher(self) -> ContentSwitcher | None:
        """The chats' panes, one shown at a time (None until the first chat opens)."""
        found = self.query("#panes")
        if not found:
            return None
        from textual.widgets import ContentSwitcher  # loaded with the first pane, not before the first frame

        return found.first(ContentSwitcher)

    def _show_on_the_right(self, pane_id: str | None) -> None:
        """Show the pane `pane_id` on the right, or (None) the note about the chats."""
        switcher = self._switcher()
        if switcher is not None:
            switcher.current = pane_id
            switcher.display = pane_id is not None
        self.query_one("#no-chat").display = pane_id is None

    def _add_pane(self, chat: Chat, unsent: Sequence[Unsent], *, focus_editor: bool, shown: bool) -> ChatPane:
        """The first time a chat is opened: its pane, its first page, and its stream (per-chat mode)."""
        from textual.widgets import ContentSwitcher

        from plow_tui.tui.plow.chat_pane import ChatPane, pane_id  # not at start-up: the first pane brings it

        chat_uid = chat.uid
        pane = ChatPane(
            chat,
            codes=self.book.codes.setdefault(chat_uid, {}),
            draft=self.book.drafts.get(chat_uid),
            unsent=unsent,
            api=lambda: self.api,
            clock=self.plow_app.now,
            focus_editor=focus_editor,
            keep=lambda texts: self._text_left_editor(chat_uid, texts),
            changed=lambda texts: self._unsent_changed(chat_uid, texts),
            id=pane_id(chat_uid),
        )
        self._panes[chat_uid] = pane
        self.book.note_unsent(chat_uid, unsent)  # its texts from before a restart are its outbox's now
        switcher = self._switcher()
        if switcher is None:
            # The first pane brings the switcher: none before the first frame (one
            # widget less to style and a screen's height of lines less to draw).
            switcher = ContentSwitcher(pane, id="panes", initial=pane.id if shown else None)
            switcher.display = shown
            self.mount(switcher, before="#no-chat")
        else:
            switcher.add_content(pane, set_current=shown)
            switcher.display = switcher.display or shown
        if shown:
            self.query_one("#no-chat").display = False
        self._load_page(chat_uid, None)
        self._feed.opened(chat_uid, self.book.anchors().get(chat_uid))
        return pane

    def _send_waiting(self) -> None:
        """The server is back: every chat's waiting texts go out, in order, with nothing pressed.

        A chat not opened since the restart that holds some is opened out of
        sight: its outbox sends them once its first page is in (`_page_loaded`).
        """
        for pane in self._panes.values():
            pane.outbox.resume_waiting()
        for chat_uid in self.book.waiting_elsewhere():
            _, unsent = self.book.open(chat_uid, shown=False)
            self._add_pane(self.book.chats[chat_uid], unsent, focus_editor=False, shown=False)

    def _mark_unread(self, pane: ChatPane) -> None:
        count = self._unread_at_open.pop(pane.chat.uid, 0)
        pane.conversation.mark_unread_from(first_unread(pane.conversation.entries, count) if count else None)

    @on(ChatList.ChatOpened)
    def _chat_opened(self, message: ChatList.ChatOpened) -> None:
        self.open_chat(message.uid, focus_editor=True)

    def on_conversation_near_top(self, message: Conversation.NearTop) -> None:
        pane = self.pane(self.book.open_uid or "")
        if pane is None or not pane.has_older or pane.loading_older or not message.oldest_uid:
            return
        pane.loading_older = True
        above = gap_below(message.oldest_uid)
        if above is not None:
            self._fill_gap(pane.chat.uid, above)
        else:
            self._load_page(pane.chat.uid, message.oldest_uid)

    def on_chat_panel_text_sent(self, message: ChatPanel.TextSent) -> None:
        if message.parts > 1:
            self.notify(f"Long text: sending it as {message.parts} messages.", timeout=5)

    def _text_left_editor(self, chat_uid: str, texts: Sequence[Unsent]) -> Future[object] | None:
        """The editor's text is now the outbox's: it moves from the draft to the unsent
        texts in the store in one write, which the send waits for (the outbox calls this
        then). A process killed at any moment leaves it in one place, never both, never neither."""
        kept = self.drafts.left_editor(chat_uid, texts)
        self._rows.refresh(chat_uid)  # its draft mark goes
        return kept

    # -- drafts -----------------------------------------------------------------------------

    def on_text_area_changed(self, message: Compose.Changed) -> None:  # Compose.Changed is TextArea's
        pane = message.text_area.parent
        if not any(pane is opened for opened in self._panes.values()):
            return  # not a chat's editor
        text = message.text_area.text
        # Say it before Enter: a text over the limit goes as several (PROTOCOL §5).
        parts = len(split_body(text)) if len(text) > MAX_BODY else 1
        title = f"goes as {parts} texts" if parts > 1 else None
        if message.text_area.border_title != title:
            # Only when it changes: setting it repaints the editor, a second frame for every key.
            message.text_area.border_title = title
        if self.drafts.draft_changed(pane.chat.uid, text):
            self._rows.refresh(pane.chat.uid)  # the row's draft mark comes or goes

    def _unsent_changed(self, chat_uid: str, texts: Sequence[Unsent]) -> None:
        """A chat's outbox holds `texts` now."""
        # Soon is enough: a text's state after it went out is only a hint on
        # disk (a restart checks the history for any that was not refused).
        self.drafts.save_soon()
        if self.book.note_unsent(chat_uid, texts):
            self._rows.refresh_soon(chat_uid)  # its preview: the text on its way (…), waiting (◷), refused (✗)

    # -- actions ---------------------------------------------------------------------------

    def _possible(self, action: str) -> bool:
        """Whether `action` applies to the open chat now, whatever has focus (for the palette)."""
        chat = self.book.chats.get(self.book.open_uid or "")
        if action == "retry_send":
            return self._selected_unsent() is not None
        if action == "resend_code":
            return chat is not None and chat.status == "pending"
        if action == "delete_chat":
            return chat is not None
        if action == "recreate_chat":
            return chat is not None and chat.status == "failed"
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = isinstance(self.focused, Input) or self._editor_focused()
        if action == "find":
            # In the chat filter, Ctrl+F keeps the box's own meaning (delete a word).
            return self.pane(self.book.open_uid or "") is not None and (self.focused is None or self.focused.id != "filter")
        if action in ("resend_code", "delete_chat", "recreate_chat", "filter"):
            # In the editor or the filter box these keys are characters.
            return self._possible(action) and not typing
        if action == "close_filter":
            box = self._filter_box()
            return box is not None and box.display
        return self._possible(action)

    def _selected_unsent(self) -> str | None:
        pane = self.pane(self.book.open_uid or "")
        return pane.outbox.selected_unsent if pane is not None else None

    def action_next_unread(self) -> None:
        uid = self.query_one(ChatList).next_unread_uid()
        if uid is None:
            self.notify("No unread messages.", timeout=3)
        else:
            self.open_chat(uid)

    def on_key(self, event: events.Key) -> None:
        # A character typed in the chat list that is no key there starts the open
        # chat's text, as one typed in its messages does (`ChatPanel.take_typed`).
        pane = self.pane(self.book.open_uid or "")
        if pane is not None and isinstance(self.focused, ChatList):
            pane.take_typed(event)

    def _editor_focused(self) -> bool:
        """Whether a chat's editor has focus (the panes' widgets are not imported before one opens)."""
        return any(self.focused is pane.compose_box for pane in self._panes.values())

    def action_filter(self) -> None:
        if any(self.focused is pane.conversation for pane in self._panes.values()):
            self.action_find()  # `/` in the messages searches them; in the list it filters chats
            return
        box = self._filter_box()
        if box is None:
            box = Input(placeholder="filter chats", id="filter")
            self.query_one("#sidebar").mount(box, before=self.query_one(ChatList))
        box.display = True
        box.focus()

    def _filter_box(self) -> Input | None:
        """The chat filter's box, once it has been opened."""
        found = self.query("#filter")
        return found.first(Input) if found else None

    def action_close_filter(self) -> None:
        box = self._filter_box()
        if box is not None:
            box.value = ""
            box.display = False
        self.query_one(ChatList).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, message: Input.Changed) -> None:
        self.query_one(ChatList).filter(message.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one(ChatList).focus()

    def action_find(self) -> None:
        pane = self.pane(self.book.open_uid or "")
        if pane is not None:
            pane.find_bar.open(pane.find_bar.query_one(Input).value if pane.find_bar.is_open else "")

    def action_search_all(self) -> None:
        history = self.history.writer
        if history is None:
            self.notify(self.history.why_none, severity="warning", markup=False)
            return

        def chosen(choice: tuple | None) -> None:  # noqa: ANN001
            if choice is not None:
                hit, query = choice
                self._jump(hit.chat_uid, hit.message_uid, query)

        self.app.push_screen(search_screen(history, self.plow_app.local_time), chosen)

    @work(group="history", exit_on_error=False)
    async def _jump(self, chat_uid: str, message_uid: str, query: str) -> None:
        history = self.history.writer
        if history is None or chat_uid not in self.book.chats:
            self.notify("That chat is no longer in your list.", timeout=4)
            return
        messages = await messages_from_hit(history, chat_uid, message_uid)
        self.post_message(self.JumpLoaded(chat_uid, messages, message_uid, query))

    @on(JumpLoaded)
    def _jump_loaded(self, message: JumpLoaded) -> None:
        """Open the chat with everything from the hit to the newest message, the hit selected and the query highlighted."""
        self.open_chat(message.chat_uid)
        pane = self.pane(message.chat_uid)
        if pane is None:
            return
        entries = entries_from_hit(pane.conversation.entries, message.messages, self.plow_app.now())
        pane.loaded = True
        pane.has_older = True
        pane.loading_older = False
        pane.conversation.set_entries(entries)
        self._replay(pane, self.book.first_page_loaded(message.chat_uid, message.messages))
        pane.find_bar.open(message.query)
        pane.conversation.select(message.target)
        pane.conversation.focus()

    def action_reload(self) -> None:
        self._load_chats()
        self._feed.retry_now()  # and, if the live connection is waiting to retry, now

    def _server_answered(self) -> None:
        """A request got through: the live connection, if waiting out a backoff (up to 30 s), retries now."""
        if not self.stream_live:
            self._feed.retry_now()

    def action_retry_send(self) -> None:
        pane = self.pane(self.book.open_uid or "")
        if pane is not None:
            pane.outbox.retry_selected()

    def action_resend_code(self) -> None:
        chat = self.book.chats.get(self.book.open_uid or "")
        if chat is None:
            return
        waiting = waiting_members(chat)
        if not waiting:
            self.notify("Everyone has verified.", timeout=3)
            return
        for member in waiting:
            self._resend_code(chat, member)

    def action_delete_chat(self) -> None:
        self._confirm_delete(recreate=False)

    def action_recreate_chat(self) -> None:
        self._confirm_delete(recreate=True)

    def _confirm_delete(self, recreate: bool) -> None:
        from plow_tui.tui.screens.confirm import ConfirmScreen

        chat = self.book.chats.get(self.book.open_uid or "")
        if chat is None:
            return
        question = delete_question(chat, recreate)

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(chat, recreate)

        self.app.push_screen(ConfirmScreen(question, "Recreate" if recreate else "Delete"), answered)

    def action_new_chat(self) -> None:
        from plow_tui.tui.plow.new_chat import NewChatScreen

        def created(chat: Chat | None) -> None:
            if chat is not None:
                self.post_message(self.ChatChanged(chat, chat.members, open_it=True))

        self.app.push_screen(NewChatScreen(self.api), created)

    def phone_draft(self) -> Draft | None:
        """What the simulated phone (sandbox) offers: a text to the open chat's line.

        For a pending chat that is the first waiting member's code (switch the
        phone's number with Ctrl+O to verify as someone else).
        """
        from plow_tui.tui.plow.phone import Draft

        chat = self.book.chats.get(self.book.open_uid or "")
        if chat is None or not chat.number:
            return None
        code = self.book.waiting_code(chat)
        return Draft(text=(code or "") if chat.status == "pending" else "", to=chat.number)

    def system_commands(self) -> Iterable[SystemCommand]:
        """Palette entries for this screen's actions (the app adds them to its own)."""
        yield SystemCommand("New chat", "Create a chat on one of your lines", self.action_new_chat)
        yield SystemCommand("Next unread", "Open the next chat with unread messages", self.action_next_unread)
        yield SystemCommand("Filter chats", "Show only chats matching a text", self.action_filter)
        if self.check_action("search_all", ()):
            yield SystemCommand("Search all chats", "Find a message in every stored chat", self.action_search_all)
        if self.pane(self.book.open_uid or "") is not None:
            yield SystemCommand("Find in chat", "Search this conversation as you type (n / N: next / previous)", self.action_find)
        yield SystemCommand("Reload chats", "Fetch the chat list again (offline: reconnect now)", self.action_reload)
        if self._possible("retry_send"):
            yield SystemCommand("Retry send", "Send the selected message again (after checking it did not land)", self.action_retry_send)
        pane = self.pane(self.book.open_uid or "")
        if pane is not None and pane.conversation.selected_uid is not None:
            yield SystemCommand("Copy message", "Copy the selected message's text", pane.conversation.action_copy)
            yield SystemCommand("Open link", "Open the first link in the selected message", pane.conversation.action_open_link)
        if self._possible("resend_code"):
            yield SystemCommand("Resend codes", "Fresh VERIFY codes for members who have not verified", self.action_resend_code)
        if self._possible("delete_chat"):
            yield SystemCommand("Delete chat", "Delete the open chat", self.action_delete_chat)
        if self._possible("recreate_chat"):
            yield SystemCommand("Recreate chat", "Delete this failed chat and create it again", self.action_recreate_chat)
        yield SystemCommand("Sign out", "Forget the token for this server", self._sign_out)

    def _sign_out(self) -> None:
        self.run_worker(self.plow_app.sign_out("Signed out."))

