"""Fixtures for the TUI tests.

No time zone fixture: every widget shows times in the zone injected into the
app (`PlowBaseApp(tz=…)`, or `support.widget_host.WidgetHost` for one widget),
so nothing here depends on the machine's `TZ`.
"""
