"""Screens any backend uses: the keys screen and the yes/no question (each backend's own screens live in its wing)."""
