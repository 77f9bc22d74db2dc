"""`SearchScreen`: every chat's stored history, searched as you type.

Results (newest first) show the chat, the time, who wrote it and a snippet
with the matches marked; Enter opens the chat at that message. The search
itself is the store's (`HistoryStore.search`: FTS5 where SQLite has it);
this screen only asks it, in a worker, and a newer keystroke cancels an
older question.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from plow_tui.store.search import SearchHit
from plow_tui.terminal_text import safe_line

Search = Callable[[str], Awaitable[list[SearchHit]]]


def hit_text(hit: SearchHit, when: str) -> Text:
    """One result: `Chat · 12 Nov 14:02` on the first line, `author: …snippet…` with matches marked on the second."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(safe_line(hit.chat_title), "bold")
    text.append(f" · {when}\n", "dim")
    text.append(safe_line(hit.author) + ": ", "italic")
    at = 0
    for start, end in hit.spans:
        text.append(safe_line(hit.snippet[at:start]))
        text.append(safe_line(hit.snippet[start:end]), "bold reverse")
        at = end
    text.append(safe_line(hit.snippet[at:]))
    return text


class SearchScreen(ModalScreen["tuple[SearchHit, str] | None"]):
    """Search all chats; dismisses with (the chosen hit, the query), or None."""

    DEFAULT_CSS = """
    SearchScreen { align: center middle; }
    SearchScreen > Vertical {
        width: 90%; max-width: 110; height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    SearchScreen #search-input { margin: 0; }
    SearchScreen #search-results { height: 1fr; border: none; }
    SearchScreen #search-status { height: 1; color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Close")]

    def __init__(self, search: Search, *, mode: str, local_time: Callable[[datetime], datetime]) -> None:
        super().__init__()
        self._search = search
        self._mode = mode  # "fts5" or "scan", said in the status line
        self._local_time = local_time
        self._hits: list[SearchHit] = []
        self._query = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(placeholder="search every chat (words start words: “din mon” finds “Dinner Monday”)", id="search-input")
            yield OptionList(id="search-results")
            yield Static("", id="search-status")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._say("Type to search your stored messages.")

    def _say(self, what: str) -> None:
        how = "indexed (FTS5)" if self._mode == "fts5" else "plain scan"
        self.query_one("#search-status", Static).update(Text(f"{what}  ·  {how}  ·  Enter opens  ·  Esc closes"))

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        self._query = event.value
        self._run(event.value)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def _run(self, query: str) -> None:
        hits = await self._search(query) if query.strip() else []
        if query != self._query:
            return  # a newer keystroke has its own answer coming
        self._show(hits, query)

    def _show(self, hits: list[SearchHit], query: str) -> None:
        self._hits = hits
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options(
            Option(hit_text(hit, self._when(hit.created_at)), id=str(n)) for n, hit in enumerate(hits)
        )
        if hits:
            results.highlighted = 0
        if not query.strip():
            self._say("Type to search your stored messages.")
        else:
            self._say(f"{len(hits)} result{'s' if len(hits) != 1 else ''}" if hits else "No stored message matches.")

    def _when(self, moment: datetime | None) -> str:
        return self._local_time(moment).strftime("%d %b %Y %H:%M") if moment else "?"

    @property
    def hits(self) -> list[SearchHit]:
        return list(self._hits)

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._hits:
            results = self.query_one(OptionList)
            self._choose(results.highlighted or 0)

    @on(OptionList.OptionSelected, "#search-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option_index)

    def _choose(self, index: int) -> None:
        if 0 <= index < len(self._hits):
            self.dismiss((self._hits[index], self._query))

    def on_key(self, event) -> None:  # noqa: ANN001 - textual.events.Key
        # Up/Down move through the results while typing in the box.
        if event.key in ("down", "up") and isinstance(self.focused, Input) and self._hits:
            results = self.query_one(OptionList)
            results.action_cursor_down() if event.key == "down" else results.action_cursor_up()
            event.stop()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
