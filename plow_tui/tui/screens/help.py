"""`?`: the keys of the screen underneath, read from its live bindings.

Built from `Screen.active_bindings` rather than a hand-written table, so the
list cannot drift from what the keys really do.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static


def key_rows(screen: Screen) -> list[tuple[str, str]]:
    """(keys, description) for each described binding active on `screen`, in binding order.

    Several keys bound to one action (Esc and q) share one row: `esc / q`.
    """
    grouped: dict[tuple[str, str], list[str]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or not active.enabled:
            continue
        keys = grouped.setdefault((binding.action, binding.description), [])
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

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, description in self._rows:
            table.add_row(Text(key), Text(description))
        with VerticalScroll(id="keys", classes="dialog"):
            yield Label(self._title, classes="dialog-title")
            yield Static(table)
            yield Label("Esc close", classes="hint")
