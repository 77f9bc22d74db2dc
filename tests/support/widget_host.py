"""A bare Textual app to host one widget in a test, with the display time zone injected as UTC."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.app import App


class WidgetHost(App[None]):
    """Shows times in UTC, as `PlowBaseApp` shows them in the zone it was given.

    Widgets convert every time through `widgets.text.display_time`, which asks
    the app; so expected text and snapshots do not depend on the machine's zone.
    """

    def local_time(self, moment: datetime) -> datetime:
        return moment.astimezone(timezone.utc)
