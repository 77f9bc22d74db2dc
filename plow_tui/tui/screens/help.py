"""`F1` (or `?`): the keys of the screen underneath, read from its live bindings.

Built from `Screen.active_bindings` rather than a hand-written table, so the
list cannot drift from what the keys really do. Only bindings that plow-tui
declares are listed: Textual's own (Scroll Left, Page Right, Focus Next…) are
its plumbing, named in its words, and would bury ours.
"""

from __future__ import annotations

from functools import cache

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static


@cache
def _our_bindings(node_type: type) -> frozenset[tuple[str, str]]:
    """(key, action) of every binding that a plow-tui class in `node_type`'s ancestry declares."""
    ours: set[tuple[str, str]] = set()
    for cls in node_type.__mro__:
        if cls.__module__.startswith("plow_tui."):
            ours.update((b.key, b.action) for b in Binding.make_bindings(cls.__dict__.get("BINDINGS", ())))
    return frozenset(ours)


def key_rows(screen: Screen) -> list[tuple[str, str]]:
    """(keys, description) for each of our described bindings active on `screen`, in binding order.

    Several keys bound to one action (Esc and q) share one row: `esc / q`.
    The description is the binding's tooltip where it has one: the footer
    gets the short word, this list the sentence.
    """
    grouped: dict[tuple[str, str], list[str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or not active.enabled:
            continue
        if (binding.key, binding.action) not in _our_bindings(type(active.node)):
            continue
        # A screen's key for an app action ("app.phone") shares the app key's row.
        action = binding.action.split("(")[0].removeprefix("app.")
        keys = grouped.setdefault((action, binding.tooltip or binding.description), [])
        key = screen.app.get_key_display(binding)
        if key not in keys:
            keys.append(key)
    return [(" / ".join(keys), description) for (_, description), keys in grouped.items()]


class KeysScreen(ModalScreen[None]):
    """A modal list of the keys that work on the screen beneath it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, rows: list[tuple[str, str]], title: str = "Keys") -> None:
        super().__init__()
        self._rows = rows
        self._title = title

    @property
    def rows(self) -> list[tuple[str, str]]:
        """(keys, description) as listed, including rows scrolled out of view."""
        return list(self._rows)

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, description in self._rows:
            table.add_row(Text(key), Text(description))
        with VerticalScroll(id="keys", classes="dialog"):
            yield Label(self._title, classes="dialog-title")
            yield Static(table)
            # Docked: stays in view, and says when there is more to scroll to.
            yield Label("Esc close", id="keys-hint", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#keys", VerticalScroll).focus()  # ↑/↓/PgDn scroll it

    def on_resize(self) -> None:
        self.call_after_refresh(self._say_if_it_scrolls)

    def _say_if_it_scrolls(self) -> None:
        more = self.query_one("#keys", VerticalScroll).max_scroll_y > 0
        self.query_one("#keys-hint", Label).update("Esc close · ↓ PgDn more below" if more else "Esc close")
