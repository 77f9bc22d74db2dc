"""Talks to a Plow server: REST (`http`), the live socket (`stream`), sign-in (`activation`),
the secret store (`tokens`). Never imports textual or the sandbox (tests/test_layering.py).
"""
