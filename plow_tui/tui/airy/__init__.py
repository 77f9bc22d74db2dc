"""The Airy wing: the screen and parts only the Airy backend needs."""
