"""plow-tui: a terminal chat client for Plow (SMS/iMessage) and Airy chat channels."""

__version__ = "0.1.0"
