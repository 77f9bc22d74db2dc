"""Screens of the plow-tui app: activation, the simulated phone, keys, and what follows sign-in."""
