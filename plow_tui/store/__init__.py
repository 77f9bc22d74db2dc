"""The local message store: each account's history in SQLite, and searching it.

Textual-free (tests/test_layering.py checks): the app, the CLI and the
benchmarks all use it. `history` is the store, `location` says which file is
whose, `search` holds the matching and snippet rules.
"""
