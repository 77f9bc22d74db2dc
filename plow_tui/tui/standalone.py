"""The apps of `plow-tui phone` and `plow-tui airy`: one screen each, on `PlowBaseApp`.

Apart from `tui/app.py`, which the client's start loads: defining a Textual app
class there cost about half a millisecond each before the main screen's first frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plow_tui.tui.app import PlowBaseApp

if TYPE_CHECKING:
    from plow_tui.client.airy.conversation import SecretStore
    from plow_tui.tui.plow.phone import Draft, PhoneFactory


class PhoneApp(PlowBaseApp):
    """`plow-tui phone NUMBER`: one simulated handset, for a second terminal."""

    TITLE = "plow-tui phone"

    def __init__(
        self,
        base_url: str,
        phone: str,
        *,
        phone_factory: PhoneFactory,
        draft: Draft | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.base_url = base_url
        self.phone = phone
        self.phone_factory = phone_factory
        self.draft = draft

    def on_mount(self) -> None:
        from plow_tui.tui.plow.phone import PhoneScreen

        self.push_screen(
            PhoneScreen(
                self.base_url,
                self.phone_factory,
                phone=self.phone,
                draft=self.draft,
                sandbox=True,
                standalone=True,
            )
        )


class AiryApp(PlowBaseApp):
    """`plow-tui airy URL --channel-id UUID`: one Airy Chat Plugin conversation, as a visitor."""

    TITLE = "plow-tui airy"

    def __init__(
        self,
        url: str,
        channel_id: str,
        *,
        token_store: SecretStore | None,
        screen_options: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.url = url
        self.channel_id = channel_id
        self.token_store = token_store
        self._screen_options = screen_options or {}

    def on_mount(self) -> None:
        from plow_tui.tui.airy.screen import AiryScreen

        self.push_screen(
            AiryScreen(self.url, self.channel_id, store=self.token_store, standalone=True, **self._screen_options)
        )
