"""`SandboxAgent`: the agent of a sandbox's Airy channel, made to answer on request.

Only the sandbox has it (`/sandbox/airy/...`, see sandbox/airy): the Airy
screen offers Ctrl+T with a sandbox, so a visitor sees an agent's answer
arrive over the socket as it would from a real one. It lives beside
`SandboxPhone` (client/phone.py): both are the sandbox's control side,
spoken over plain HTTP, never through the sandbox's objects.
"""

from __future__ import annotations

from typing import Any

from plow_tui.client.airy.errors import AiryError, AiryNetworkError

TIMEOUT = 5.0  # seconds: a local sandbox answers at once


class SandboxAgent:
    """Answers the visitor's conversation on one channel of the sandbox at `base_url`."""

    def __init__(self, base_url: str, channel_id: str, *, timeout: float = TIMEOUT) -> None:
        self.base_url = base_url
        self.channel_id = channel_id
        self._timeout = timeout

    async def answer(self, conversation_id: str | None, text: str) -> bool:
        """Post `text` as the agent in `conversation_id` (None: the channel's only one); False when there is none.

        Raises `AiryError` when the sandbox cannot be reached or refuses.
        """
        import httpx

        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=self._timeout) as http:
                conversation_id = conversation_id or await self._only_conversation(http)
                if conversation_id is None:
                    return False
                answer = await http.post(f"/sandbox/airy/conversations/{conversation_id}/messages", json={"text": text})
                answer.raise_for_status()
        except httpx.HTTPError as error:
            raise AiryNetworkError(f"The sandbox agent could not answer ({type(error).__name__}).") from error
        return True

    async def _only_conversation(self, http: Any) -> str | None:
        """The sandbox's one conversation on the channel, when there is exactly one."""
        listing = await http.get("/sandbox/airy/conversations")
        listing.raise_for_status()
        try:
            conversations = listing.json().get("conversations", [])
            ids = [c.get("id") for c in conversations if c.get("channel_id") == self.channel_id]
        except (ValueError, AttributeError) as error:
            raise AiryError("The sandbox listed its conversations in an unreadable form.") from error
        return ids[0] if len(ids) == 1 else None
