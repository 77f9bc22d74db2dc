"""The one-line bar on top of every screen: app, account, server, connection state.

The activation screen shows polling; the main screen reuses the same bar for
its socket (`live`, `reconnecting in 4 s`, ...). Screens set its reactives;
the bar only draws them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from plow_tui.terminal_text import safe_line
from plow_tui.tui.widgets.text import display_time



class StreamState(Protocol):
    """What a live stream says of its connection (Plow's and Airy's `ConnectionChanged` both fit)."""

    @property
    def state(self) -> str: ...

    @property
    def retry_in(self) -> float | None: ...


class Connection(enum.Enum):
    """What the screen's link to the server is doing, with its glyph."""

    IDLE = ("", "")
    POLLING = ("●", "polling")
    LIVE = ("●", "live")
    CONNECTING = ("◌", "connecting")
    RECONNECTING = ("↻", "reconnecting")
    RETRYING = ("↻", "retrying")  # a request failed on the server's side; it will be sent again
    OFFLINE = ("○", "offline")

    @property
    def glyph(self) -> str:
        return self.value[0]

    @property
    def label(self) -> str:
        return self.value[1]


# The live streams' states (Plow's and Airy's); anything else reads as offline.
_STREAM_STATES = {
    "connecting": Connection.CONNECTING,
    "live": Connection.LIVE,
    "reconnecting": Connection.RECONNECTING,
    "offline": Connection.OFFLINE,
}


def api_host(url: str) -> str:
    """`api.plow.co` from `https://api.plow.co`; the port is kept when it is not the default."""
    parts = urlsplit(url)
    return parts.netloc or url


class StatusBar(Widget):
    """`plow-tui · account · server · ● state · last event`, on one line.

    In sandbox mode the server part reads `SANDBOX http://127.0.0.1:…` in the
    warning colour so nobody mistakes a demo for their real account.
    """

    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        width: 100%;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    StatusBar > .status-bar--app { text-style: bold; color: $accent; }
    StatusBar > .status-bar--sandbox { text-style: bold; color: $warning; }
    StatusBar > .status-bar--dim { color: $text-muted; }
    StatusBar > .status-bar--good { color: $success; }
    StatusBar > .status-bar--busy { color: $warning; }
    StatusBar > .status-bar--bad { color: $error; }
    """

    COMPONENT_CLASSES = {
        "status-bar--app",
        "status-bar--sandbox",
        "status-bar--dim",
        "status-bar--good",
        "status-bar--busy",
        "status-bar--bad",
    }

    account: reactive[str | None] = reactive(None)
    connection: reactive[Connection] = reactive(Connection.IDLE)
    retry_in: reactive[int | None] = reactive(None)
    last_event: reactive[datetime | None] = reactive(None)
    # What is shown came from the local store and the server has not confirmed it yet.
    last_known: reactive[bool] = reactive(False)

    def __init__(self, api_url: str, *, sandbox: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.api_url = api_url
        self.sandbox = sandbox

    def validate_last_event(self, moment: datetime | None) -> datetime | None:
        # Only the minute is shown: kept to the minute, a burst of messages repaints the bar
        # once a minute, not once per message.
        return None if moment is None else moment.replace(second=0, microsecond=0)

    def set_connection(self, connection: Connection, *, retry_in: int | None = None) -> None:
        """Set the state and, for `RECONNECTING`/`RETRYING`/`OFFLINE`, the seconds until the next try."""
        self.retry_in = retry_in
        self.connection = connection

    def show_stream_state(self, event: StreamState) -> None:
        """Show a live stream's connection state, its wait rounded to whole seconds."""
        retry_in = None if event.retry_in is None else round(event.retry_in)
        self.set_connection(_STREAM_STATES.get(event.state, Connection.OFFLINE), retry_in=retry_in)

    def _style(self, name: str):  # noqa: ANN202 - a Rich Style
        return self.get_component_rich_style(f"status-bar--{name}", partial=True)

    def render(self) -> Text:
        left = Text(no_wrap=True, overflow="ellipsis")
        left.append("plow-tui", self._style("app"))
        if self.account:
            left.append(" · ", self._style("dim"))
            left.append(safe_line(self.account))  # a name or number from the server
        right = Text(no_wrap=True)
        if self.sandbox:
            right.append(f"SANDBOX {self.api_url}", self._style("sandbox"))
        else:
            right.append(api_host(self.api_url), self._style("dim"))
        if self.last_known:
            right.append("  last known", self._style("busy"))
        state = self._connection_text()
        if state:
            right.append("  ")
            right.append_text(state)
        if self.last_event is not None:
            moment = display_time(self.app, self.last_event)
            right.append(f"  {moment.strftime('%H:%M')}", self._style("dim"))
        width = self.content_size.width or (left.cell_len + right.cell_len + 2)
        gap = width - left.cell_len - right.cell_len
        if gap < 1:
            # Narrow terminals keep the state (it matters most) and trim the account.
            left.truncate(max(0, width - right.cell_len - 1), overflow="ellipsis")
            gap = max(1, width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right, no_wrap=True, overflow="ellipsis")

    def _connection_text(self) -> Text | None:
        connection = self.connection
        if connection is Connection.IDLE:
            return None
        label = connection.label
        if connection in (Connection.RECONNECTING, Connection.RETRYING) and self.retry_in is not None:
            label = f"{connection.label} in {self.retry_in} s"
        elif connection is Connection.OFFLINE and self.retry_in is not None:
            label = f"offline, retrying in {self.retry_in} s"
        tone = {
            Connection.LIVE: "good",
            Connection.POLLING: "good",
            Connection.CONNECTING: "busy",
            Connection.RECONNECTING: "busy",
            Connection.RETRYING: "busy",
            Connection.OFFLINE: "bad",
        }[connection]
        text = Text()
        text.append(connection.glyph, self._style(tone))
        text.append(f" {label}")
        return text
