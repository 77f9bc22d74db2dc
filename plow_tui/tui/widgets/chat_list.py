"""The list of chats: one light renderable per chat inside an `OptionList`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.css.styles import RulesMap
from textual.message import Message
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import RenderOptions, Visual
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from plow_tui.record import replace
from plow_tui.terminal_text import safe_line
from plow_tui.tui.widgets.text import display_time, short_time
from plow_tui.tui.widgets.view_models import ChatSummary

_WAITING = "waiting for members to verify"


def _sort_key(chat: ChatSummary) -> tuple[bool, float, str, str]:
    # Newest activity first; chats without activity last, then by title.
    stamp = -chat.last_at.timestamp() if chat.last_at is not None else 0.0
    return (chat.last_at is None, stamp, chat.title.casefold(), chat.uid)


class _ChatRow(Visual):
    """One chat in 2-3 lines, drawn straight to strips at whatever width the list has.

    A Visual rather than a Rich renderable: the option list asks every row for
    its height, and answering that without rendering keeps 1,000 chats cheap.
    """

    def __init__(self, chat: ChatSummary, chat_list: ChatList) -> None:
        self.chat = chat
        self._list = chat_list

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return 3 if self.chat.number else 2

    def render_strips(
        self, width: int, height: int | None, style: VisualStyle, options: RenderOptions
    ) -> list[Strip]:
        console = self._list.app.console
        base = style.rich_style
        return [
            Strip(Segment.apply_style(line.render(console), style=base)).adjust_cell_length(width, base)
            for line in self.lines(width)
        ]

    def lines(self, width: int) -> list[Text]:
        """The row's lines as plain Rich `Text` (no markup is ever parsed)."""
        chat = self.chat
        style = self._list.row_style
        right = Text(no_wrap=True)
        if chat.draft:  # a glyph, not only a colour: seen in any theme and without colour
            right.append("✎", style("draft"))
        if chat.unread:
            right.append(f" {chat.unread} ", style("unread"))
        if chat.status not in (None, "active"):
            status = safe_line(chat.status)
            kind = "failed" if chat.status == "failed" else "pending"
            right.append(" ")
            right.append(status, style(kind))
        if chat.last_at is not None:
            right.append(" ")
            app = self._list.app
            right.append(short_time(display_time(app, chat.last_at), display_time(app, self._list.now())), style("time"))
        name_style = style("name-unread") if chat.unread else style("name")
        name = Text(safe_line(chat.title) or "(untitled)", name_style, no_wrap=True)
        lines = [_fit(name, right, width)]
        if chat.number:
            shown = chat.number_shown if chat.number_shown is not None else chat.number
            lines.append(_fit(Text(safe_line(shown), style("number")), Text(), width))
        lines.append(_fit(self._third_line(style), Text(), width))
        return lines

    def _third_line(self, style: Callable[[str], Style]) -> Text:
        chat = self.chat
        if chat.status == "failed":
            reason = safe_line(chat.failure_reason or "unknown reason")
            return Text(f"failed — {reason}", style("failed"), no_wrap=True)
        if chat.status == "pending":
            note = safe_line(chat.connection_note or _WAITING)
            return Text(f"pending — {note}", style("pending"), no_wrap=True)
        if chat.preview:
            return Text(safe_line(chat.preview), style("preview"), no_wrap=True)
        if chat.connection_note:
            return Text(safe_line(chat.connection_note), style("preview"), no_wrap=True)
        return Text("no messages yet", style("preview"), no_wrap=True)


def _fit(left: Text, right: Text, width: int) -> Text:
    """`left` (truncated with …) and `right` (right-aligned) on one line of `width` cells."""
    room = max(0, width - right.cell_len - (1 if right.cell_len else 0))
    left.truncate(room, overflow="ellipsis", pad=True)
    line = Text(no_wrap=True, end="")
    line.append_text(left)
    if right.cell_len:
        line.append(" ")
        line.append_text(right)
    line.truncate(width, overflow="ellipsis")
    return line


class ChatList(OptionList):
    """Chats sorted by last activity, newest first; Enter or a click opens one.

    Keeps the highlighted chat highlighted across re-sorts and filtering.
    Takes `ChatSummary` view models only and posts `ChatOpened`.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "chat-list--name",
        "chat-list--name-unread",
        "chat-list--unread",
        "chat-list--time",
        "chat-list--number",
        "chat-list--preview",
        "chat-list--pending",
        "chat-list--failed",
        "chat-list--draft",
    }

    DEFAULT_CSS = """
    ChatList {
        height: 1fr;
        max-height: 100%;
        & > .chat-list--name { color: $foreground; }
        & > .chat-list--name-unread { color: $foreground; text-style: bold; }
        & > .chat-list--unread { background: $accent; color: $text; text-style: bold; }
        & > .chat-list--time { color: $text-muted; }
        & > .chat-list--number { color: $text-muted; }
        & > .chat-list--preview { color: $text-muted; }
        & > .chat-list--pending { color: $text-warning; text-style: bold; }
        & > .chat-list--failed { color: $text-error; text-style: bold; }
        & > .chat-list--draft { color: $text-accent; text-style: bold; }
    }
    """

    # A plain class, not a dataclass: defined before the main screen's first frame,
    # and a dataclass compiles its methods with exec as it is defined.
    class ChatOpened(Message):
        """The reader chose a chat (Enter or click)."""

        def __init__(self, chat_list: ChatList, uid: str) -> None:
            super().__init__()
            self.chat_list = chat_list
            self.uid = uid

        @property
        def control(self) -> ChatList:
            return self.chat_list

    def __init__(
        self,
        chats: Iterable[ChatSummary] = (),
        *,
        clock: Callable[[], datetime] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, markup=False)
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._chats: dict[str, ChatSummary] = {}
        self._order: list[str] = []  # uids shown, in display order
        self._filter = ""
        self._styles: dict[str, Style] = {}
        self.set_chats(chats)

    # ------------------------------------------------------------------ styles

    def now(self) -> datetime:
        """The injected clock (times in rows are relative to it)."""
        return self._clock()

    def row_style(self, part: str) -> Style:
        """The (partial) style of one part of a row, from the theme."""
        style = self._styles.get(part)
        if style is None:
            style = self.get_component_rich_style(f"chat-list--{part}", partial=True)
            self._styles[part] = style
        return style

    def notify_style_update(self) -> None:
        self._styles.clear()
        self._option_render_cache.clear()
        super().notify_style_update()

    # -------------------------------------------------------------- public API

    @property
    def chats(self) -> list[ChatSummary]:
        """Every chat (filtered or not), in display order."""
        return sorted(self._chats.values(), key=_sort_key)

    @property
    def visible_uids(self) -> list[str]:
        """The uids shown (after filtering), top to bottom."""
        return list(self._order)

    @property
    def highlighted_uid(self) -> str | None:
        index = self.highlighted
        if index is None or index >= len(self._order):
            return None
        return self._order[index]

    def get_chat(self, uid: str) -> ChatSummary | None:
        return self._chats.get(uid)

    def set_chats(self, chats: Iterable[ChatSummary]) -> None:
        """Replace the whole list."""
        self._chats = {chat.uid: chat for chat in chats}
        self._rebuild()

    def upsert(self, chat: ChatSummary) -> None:
        """Add a chat or update it in place (re-sorting only if its place changed)."""
        self._chats[chat.uid] = chat
        order = self._sorted_visible()
        if order == self._order and chat.uid in self._order:
            self._redraw_row(chat)
        else:
            self._rebuild(order)

    def remove_chat(self, uid: str) -> bool:
        """Remove a chat; False if it isn't listed.

        (Not `remove`: that is Textual's "remove this widget from the DOM".)
        """
        if self._chats.pop(uid, None) is None:
            return False
        self._rebuild()
        return True

    def bump_unread(self, uid: str, count: int = 1) -> None:
        """Count `count` more unread messages in chat `uid` (ignored if unknown)."""
        chat = self._chats.get(uid)
        if chat is not None:
            self.upsert(replace(chat, unread=chat.unread + count))

    def mark_read(self, uid: str) -> None:
        """Clear chat `uid`'s unread count (ignored if unknown)."""
        chat = self._chats.get(uid)
        if chat is not None and chat.unread:
            self.upsert(replace(chat, unread=0))

    def select_uid(self, uid: str) -> bool:
        """Highlight chat `uid` (clearing a filter that hides it); False if unknown."""
        if uid not in self._chats:
            return False
        if uid not in self._order:
            self._filter = ""
            self._rebuild()
        self.highlighted = self._order.index(uid)
        return True

    def next_unread_uid(self) -> str | None:
        """The next chat with unread messages after the highlighted one (wrapping)."""
        order = [chat.uid for chat in self.chats]
        if not order:
            return None
        current = self.highlighted_uid
        start = order.index(current) + 1 if current in order else 0
        for uid in order[start:] + order[:start]:
            if self._chats[uid].unread:
                return uid
        return None

    @property
    def filter_text(self) -> str:
        return self._filter

    def filter(self, text: str) -> None:
        """Show only chats whose title, number or preview contains `text` (any case)."""
        self._filter = text.strip()
        self._rebuild()

    # ------------------------------------------------------------------ internals

    def _sorted_visible(self) -> list[str]:
        chats = self._chats.values()
        if self._filter:
            chats = [chat for chat in chats if chat.matches(self._filter)]
        return [chat.uid for chat in sorted(chats, key=_sort_key)]

    def _redraw_row(self, chat: ChatSummary) -> None:
        """Show `chat` in its row, which stays where it is: only that row's lines are drawn again.

        Textual's `replace_option_prompt` repaints the whole list (every row,
        through the whole styling pipeline) for one changed prompt; a chat
        receiving a burst of messages changed its row four times a second,
        and each time the list cost as much as the rest of the frame.
        """
        index = self.get_option_index(chat.uid)
        option = self.get_option_at_index(index)
        row = _ChatRow(chat, self)
        old = option.prompt
        line = self._index_to_line.get(index)  # (none before the list is first laid out)
        if line is None or not isinstance(old, _ChatRow) or bool(old.chat.number) != bool(chat.number):
            self.replace_option_prompt(chat.uid, row)  # not laid out, or a new height: the lines below move too
            return
        option._set_prompt(row)
        self._option_render_cache.clear()  # the old drawing of this option (the others cost nothing until drawn)
        self.refresh_lines(line, self._heights[index])

    def _rebuild(self, order: list[str] | None = None) -> None:
        keep = self.highlighted_uid
        scroll_y = self.scroll_y
        self._order = self._sorted_visible() if order is None else order
        self.set_options(Option(_ChatRow(self._chats[uid], self), id=uid) for uid in self._order)
        if not self._order:
            return
        if self.is_mounted:
            # set_options resets the scroll; put it back, then keep the highlight in view.
            self.scroll_to(y=scroll_y, animate=False, force=True, immediate=True)
        self.highlighted = self._order.index(keep) if keep in self._order else 0

    def action_select(self) -> None:
        uid = self.highlighted_uid
        if uid is not None:
            self.post_message(self.ChatOpened(self, uid))
