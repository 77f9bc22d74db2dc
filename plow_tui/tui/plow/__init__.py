"""The Plow wing: screens and parts only the Plow backend needs."""
