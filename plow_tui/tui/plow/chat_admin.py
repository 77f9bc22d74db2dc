"""Managing chats over the API: new codes for waiting members, deleting a chat, recreating a failed one.

`ChatsScreen`'s workers run these flows (`ChatAdmin`); each posts its outcome
to the screen as a message (`ChatChanged`, `ChatRemoved`, `Failed`), never
touching a widget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from plow_tui.client.errors import NotFound, PlowError
from plow_tui.client.models import Chat, Member
from plow_tui.tui.plow.chats_messages import ChatChanged, ChatRemoved, Failed

if TYPE_CHECKING:
    from plow_tui.client.http import PlowClient


def waiting_members(chat: Chat) -> list[Member]:
    """The members of `chat` who have not verified (those `s` sends new codes to)."""
    return [m for m in chat.members if not m.is_verified]


def delete_question(chat: Chat, recreate: bool) -> str:
    """What the confirmation asks before deleting (and perhaps recreating) `chat`."""
    return (
        f"Delete “{chat.title}” and create it again with the same members?"
        if recreate
        else f"Delete “{chat.title}”? Its members will no longer be reachable through it."
    )


class ChatAdmin:
    """The flows that change a chat on the server, each posting what came of it.

    `api()` is the screen's client (made on first use), `post` its `post_message`, `notify` its `notify`.
    """

    def __init__(self, api: Callable[[], PlowClient], post: Callable[[Message], object], notify: Callable[..., None]) -> None:
        self._api = api
        self._post = post
        self._notify = notify

    async def resend_code(self, chat: Chat, member: Member) -> None:
        """Ask the server for a fresh code for `member`; the chat comes back with it."""
        api = self._api()
        try:
            fresh = await api.resend_invitation(chat.uid, member.uid)
            updated = await api.chat(chat.uid)
        except PlowError as error:
            self._post(Failed(f"resend {member.display_name or 'the'} code", error))
            return
        self._post(ChatChanged(updated, [fresh]))

    async def delete(self, chat: Chat, recreate: bool) -> None:
        """Delete `chat`; with `recreate`, create it again with the same members on its line (or the first line)."""
        api = self._api()
        try:
            await api.delete_chat(chat.uid)
        except NotFound:
            pass  # already gone: the outcome the person asked for
        except PlowError as error:
            self._post(Failed("delete the chat", error))
            return
        self._post(ChatRemoved(chat.uid, "Chat deleted."))
        if not recreate:
            return
        names = [m.display_name or "Member" for m in chat.members]
        line_uid = chat.line_uid
        if line_uid is None:
            try:
                lines = await api.lines()
            except PlowError as error:
                self._post(Failed("find a line to recreate the chat on", error))
                return
            line_uid = lines[0].uid if lines else None
        if line_uid is None:
            self._notify("No line to recreate the chat on.", severity="error")
            return
        try:
            created = await api.create_chat(line_uid, names)
        except PlowError as error:
            self._post(Failed("recreate the chat", error))
            return
        self._post(ChatChanged(created, created.members, open_it=True))
