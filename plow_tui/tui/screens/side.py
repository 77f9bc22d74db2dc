"""`SideScreen`: a screen opened over wherever the app is (the simulated phone, the Airy channel).

The app tells them apart by `SIDE`, not by class: their modules load when
first opened, not at start-up, and the app must not import them to ask.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.screen import Screen

ResultType = TypeVar("ResultType")


class SideScreen(Screen[ResultType]):
    """A screen over the current place: leaving a place closes it, Esc goes back under it."""

    SIDE: ClassVar[str] = ""  # "phone", "airy"
