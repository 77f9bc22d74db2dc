"""The right-hand side of the main screen for one chat: header, codes, messages, editor.

One `ChatPane` exists per chat that has been opened; the screen switches
between them, so each keeps its own scroll position, selection and draft.
A pending chat shows every member's `VERIFY-` code with the number and a QR
code until they verify; a failed chat shows why and what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from plow_tui.client.models import Chat, Member
from plow_tui.terminal_text import safe_line
from plow_tui.store.unsent import Unsent
from plow_tui.tui.plow.outbox import Outbox
from plow_tui.client.texts import sms_uri
from plow_tui.tui.widgets.chat_panel import ChatPanel
from plow_tui.tui.widgets.qr import QRCode
from plow_tui.tui.widgets.text import display_time
from plow_tui.tui.plow.views import format_number

if TYPE_CHECKING:
    from concurrent.futures import Future

    from plow_tui.client.http import PlowClient

# The editor's placeholder cannot wrap: short enough for the pane at 80 columns.
WAITING_FOR_MEMBERS = "waiting for members (your draft is kept)"


def chat_header(chat: Chat, width: int | None = None) -> Text:
    """`Ada · +1 (555) 000-0001 · active`, literally (names come from the network).

    Within `width` cells the title gives way first (`Sarah, Patr… · +1 … · pending`):
    the number and the status are what a narrow pane must still show whole.
    """
    title = safe_line(chat.title)
    rest = Text(style="bold")
    if chat.number:
        rest.append(" · " + format_number(chat.number))
    if chat.status:
        style = {"active": "green", "failed": "red"}.get(chat.status, "yellow")
        rest.append(" · ")
        rest.append(safe_line(chat.status), style=style)
    if width is not None and cell_len(title) + rest.cell_len > width:
        room = max(1, width - rest.cell_len)
        title = set_cell_size(title, room - 1).rstrip() + "…" if room > 1 else "…"
    text = Text(title, style="bold")
    text.append_text(rest)
    return text


def member_line(member: Member, code: Member | None, name_width: int = 0, *, local: Callable[[datetime], datetime]) -> Text:
    """One member's verification state on one line: their code, or verified (at `local` time).

    Names are padded (or cut) to `name_width` cells so the codes of several
    members line up and stay in view.
    """
    name = Text(safe_line(member.display_name or "member"))
    if name_width:
        # A long name is cut rather than pushing the code off a narrow pane.
        name.truncate(name_width, overflow="ellipsis", pad=True)
    name.stylize("bold")
    line = Text(no_wrap=True, overflow="ellipsis")
    if member.is_verified:
        line.append("✓ ", style="green")
        line.append_text(name)
        line.append("   verified")  # lines up with the code, which has a space of padding
        if member.verified_at is not None:
            line.append(f" {local(member.verified_at):%H:%M}")
        return line
    line.append("… ", style="yellow")
    line.append_text(name)
    if code is not None and code.verification_code:
        line.append("  ")
        line.append(f" {safe_line(code.verification_code)} ", style="bold reverse")
        line.append("  waiting")
    else:
        line.append("  waiting (press s for a fresh code)")
    return line


# The QR code takes about 35 columns and 18 rows: show it only where the
# conversation and the editor still get room beside and below it.
QR_MIN_SCREEN_HEIGHT = 30
QR_MIN_PANEL_WIDTH = 72


class VerificationPanel(Horizontal):
    """What a pending chat needs: each member's code, the number and (with room) a QR code."""

    DEFAULT_CSS = """
    VerificationPanel {
        height: auto;
        padding: 0 1 1 1;
        border-bottom: solid $panel;
        & > #verify-text { width: 1fr; height: auto; }
        /* one line per member, cut at the edge rather than wrapped under the next */
        & #verify-intro { margin-bottom: 1; }
        & #verify-members { text-wrap: nowrap; text-overflow: ellipsis; }
        & > #verify-qr-box { width: auto; height: auto; margin-left: 2; }
        & #verify-qr-caption { width: 100%; text-align: center; color: $text-muted; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._chat: Chat | None = None
        self._codes: dict[str, Member] = {}
        self._qr_data = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="verify-text"):
            yield Static("", id="verify-intro")
            yield Static("", id="verify-members")
        with Vertical(id="verify-qr-box"):
            yield QRCode(id="verify-qr")
            yield Static("", id="verify-qr-caption")

    def on_mount(self) -> None:
        self._render_state()

    def show(self, chat: Chat, codes: dict[str, Member]) -> None:
        """Show `chat`'s members and `codes`; before mount, once mounted."""
        self._chat, self._codes = chat, codes
        if self.is_mounted:
            self._render_state()

    def _render_state(self) -> None:
        chat, codes = self._chat, self._codes
        if chat is None:
            return
        number = format_number(chat.number) if chat.number else "the chat's number"
        text = Text.assemble(
            ("Waiting for members to verify. ", "bold"),
            "Each one texts their code to ",
            (number, "bold"),
            " from their own phone; the chat turns active when all have.",
        )
        self.query_one("#verify-intro", Static).update(text)
        width = min(24, max((cell_len(safe_line(m.display_name or "member")) for m in chat.members), default=0))
        lines = [member_line(m, codes.get(m.uid), width, local=lambda moment: display_time(self.app, moment)) for m in chat.members]
        self.query_one("#verify-members", Static).update(Text("\n").join(lines) if lines else Text("No members."))
        first = next((m for m in chat.members if not m.is_verified and m.uid in codes), None)
        code = codes[first.uid].verification_code if first is not None else None
        self._qr_data = sms_uri(chat.number, code) if chat.number and code else ""
        caption = safe_line(first.display_name or "member") if first is not None else ""
        self.query_one("#verify-qr-caption", Static).update(Text(f"{caption}: scan to text the code"))
        self._place_qr()

    def on_resize(self) -> None:
        self._place_qr()

    def _place_qr(self) -> None:
        roomy = self.screen.size.height >= QR_MIN_SCREEN_HEIGHT and self.size.width >= QR_MIN_PANEL_WIDTH
        self.query_one(QRCode).data = self._qr_data if roomy else ""
        self.query_one("#verify-qr-box").display = bool(self._qr_data and roomy)


class ChatPane(ChatPanel):
    """One Plow chat: the shared `ChatPanel` with a verification panel (pending) and the chat's `Outbox`.

    Its `outbox` sends what is written here and keeps failed texts for a retry.
    """

    def __init__(
        self,
        chat: Chat,
        *,
        codes: dict[str, Member],
        draft: str | None = None,
        unsent: Sequence[Unsent] = (),
        api: Callable[[], PlowClient],
        clock: Callable[[], datetime],
        focus_editor: bool = False,
        keep: Callable[[Sequence[Unsent]], Future[object] | None] | None = None,
        changed: Callable[[Sequence[Unsent]], object] | None = None,
        id: str | None = None,
    ) -> None:
        # `unsent`: texts saved before a restart, given back to the outbox; `keep`, `changed`: see `Outbox`.
        super().__init__(
            lambda shown: Outbox(shown, chat.uid, api, clock, restored=unsent, keep=keep, changed=changed),
            clock=clock,
            draft=draft,
            id=id,
        )
        self._focus_editor = focus_editor
        self.chat = chat
        # member uid -> the member as a create/resend answer showed it, with its code.
        self.codes = codes
        self.outbox = cast(Outbox, self.sending)
        self.loaded = False  # the newest page has been fetched
        self.has_older = False
        self.loading_older = False

    def compose_extra(self) -> ComposeResult:
        yield VerificationPanel()

    def on_mount(self) -> None:
        if not self.query("#header"):
            return  # pruned as it mounted (the app quit while the chat opened): nothing to draw
        self._render_state()
        if self._focus_editor:
            # After the switcher has shown this pane: hidden widgets can't take focus.
            self.call_after_refresh(self.compose_box.focus)

    def update_chat(self, chat: Chat) -> None:
        """Show `chat` as it is now (header, codes, failure, whether sending is possible)."""
        if chat.status == "active" and self.chat.status != "active":
            self.show_notice(None)  # whatever held sending back is over
        self.chat = chat
        if self.is_mounted:
            self._render_state()

    def _render_state(self) -> None:
        """Draw `chat`. The screen tells a pane things as soon as it adds it, before
        `compose()` has made the children that show them: until the pane is
        mounted `update_chat` only keeps the chat, and `on_mount` draws it."""
        chat = self.chat
        self._show_header()
        pending = chat.status == "pending"
        panel = self.query_one(VerificationPanel)
        panel.display = pending
        if pending:
            panel.show(chat, self.codes)
        reason = chat.failure_reason or "no reason given"
        self.show_failure(
            f"This chat failed: {reason}. Press d to delete it or R to recreate it." if chat.status == "failed" else None
        )
        self.compose_box.disabled_reason = None if chat.status == "active" else _why_not_sendable(chat)
        self.conversation.empty_text = (
            "No messages yet. Say hello!" if chat.status == "active" else "No messages yet."
        )

    def _show_header(self) -> None:
        self.show_header(chat_header(self.chat, self.header_line.content_region.width or None))

    def on_resize(self) -> None:
        self.call_after_refresh(self._show_header)  # once the header has its new width


def _why_not_sendable(chat: Chat) -> str:
    if chat.status == "failed":
        return "this chat failed: delete or recreate it"
    return WAITING_FOR_MEMBERS


def pane_id(chat_uid: str) -> str:
    """A widget id for a chat uid (ids allow letters, digits, `-` and `_`)."""
    return "chat-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in chat_uid)

