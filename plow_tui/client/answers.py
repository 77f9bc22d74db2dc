"""The API's answers that are not resources: a page of a list, and the two answers of signing in.

Apart from the resources (`models.py`): those are read before the main
screen's first frame (from the local store), these only once the network
answers, and each dataclass costs its definition (~1.5 ms on Python 3.11).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plow_tui.client.models import Chat, _obj, _str


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list answer (`{"object":"list","data":[...],"has_more":...}`)."""

    data: tuple[Any, ...]
    has_more: bool = False


@dataclass(frozen=True, slots=True)
class ActivationStart:
    """The answer to `POST /v1/auth/activate`. `activation_secret` is a credential."""

    display_code: str
    activation_secret: str = field(repr=False)
    send_to: str
    line_id: str | None = None

    @property
    def text(self) -> str:
        """Exactly what the person must text."""
        return f"Plow Activate: {self.display_code}"

    @classmethod
    def from_json(cls, obj: Any) -> ActivationStart:
        obj = _obj(obj)
        return cls(
            display_code=_str(obj, "display_code") or "",
            activation_secret=_str(obj, "activation_secret") or "",
            send_to=_str(obj, "send_to") or "",
            line_id=_str(obj, "line_id"),
        )


@dataclass(frozen=True, slots=True)
class Redeem:
    """The answer to `POST /v1/auth/activate/redeem`. `token` only on the first verified redeem."""

    status: str  # pending | verified | anything new
    token: str | None = field(default=None, repr=False)
    chat: Chat | None = None

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    @classmethod
    def from_json(cls, obj: Any) -> Redeem:
        obj = _obj(obj)
        chat = obj.get("chat")
        return cls(
            status=_str(obj, "status") or "pending",
            token=_str(obj, "token"),
            chat=Chat.from_json(chat) if isinstance(chat, dict) else None,
        )
