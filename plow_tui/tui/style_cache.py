"""Parsed stylesheets kept between runs, so a start does not parse the same TCSS again.

Textual parses every stylesheet (our `styles/*.tcss` and each widget class's
`DEFAULT_CSS`) from text at every start: the tokenizer and the rule parser
are pure Python, and before the main screen's first frame they were its
largest single cost in Textual (~85M of ~1,170M instructions, about 7 % of
start-up; a bare hello-world parses ~27M). The result depends only on the
text, where it came from, the theme's variables and Textual itself, so it is
kept in a private cache file: `StyleCache` maps a digest of all of those to
the pickled rules, and `CachedStylesheet` asks it before parsing.

Pickle, not JSON: the rules are Textual's own objects (`RuleSet`, `Styles`,
colours, scalars), and rebuilding them from a format of our own would be a
second parser. The file is ours alone (0600 in a 0700 directory); one that
is not, or that fails to load, is ignored and rewritten. What it holds is
tied to the exact Textual files it was made with (their sizes and times), so
an upgraded Textual never meets rules pickled by another.

This relies on Textual internals (pinned: textual==8.2.8): `Stylesheet.
_parse_rules` is the one place a source is parsed (`parse` and `reparse` both
go through it), and `RuleSet` must survive pickling. `tests/tui/
test_style_cache.py` checks both against the pinned Textual.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet

log = logging.getLogger(__name__)

# More entries than this (themes × sources × Textual versions met) and the cache starts afresh.
MAX_ENTRIES = 400


def _textual_identity() -> str:
    """What the pickled rules depend on in Textual: its version's files (size and time), and Python's version.

    Read from the files, not `textual.__version__` (importlib.metadata: a few ms at every start).
    """
    import textual.color
    import textual.css.model
    import textual.css.parse
    import textual.css.scalar
    import textual.css.styles
    import textual.geometry

    parts = [sys.version]
    for module in (textual.css.model, textual.css.parse, textual.css.styles, textual.css.scalar, textual.color, textual.geometry):
        stat = os.stat(module.__file__ or "")
        parts.append(f"{module.__name__}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(parts)


class StyleCache:
    """Parsed rules by digest, read from and written to one private file (`path`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity = _textual_identity()
        self._entries: dict[str, bytes] = self._read()
        self._dirty = False

    def _read(self) -> dict[str, bytes]:
        try:
            with open(self.path, "rb") as handle:
                stat = os.fstat(handle.fileno())
                if stat.st_uid != os.getuid() or stat.st_mode & 0o022:
                    log.warning("style cache %s is not private to this user: ignored", self.path)
                    return {}
                identity, entries = pickle.load(handle)
        except FileNotFoundError:
            return {}
        except Exception as error:  # a torn or foreign file: parse afresh and write a new one
            log.info("style cache %s unreadable (%s): starting afresh", self.path, type(error).__name__)
            return {}
        if identity != self._identity or not isinstance(entries, dict):
            return {}
        return entries

    @staticmethod
    def key(*parts: object) -> str:
        """The digest of everything a parse depends on (`parts`), within one Textual.

        Text is hashed as it is (its repr escapes every character in Python: a
        tenth of the cache's cost, for stylesheets of a few thousand characters).
        """
        digest = hashlib.blake2b(digest_size=20)
        for part in parts:
            data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else repr(part).encode()
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
        return digest.hexdigest()

    def get(self, key: str) -> list[RuleSet] | None:
        data = self._entries.get(key)
        if data is None:
            return None
        try:
            rules = pickle.loads(data)
        except Exception:
            del self._entries[key]
            return None
        return rules if isinstance(rules, list) else None

    def put(self, key: str, rules: list[RuleSet]) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL)
        self._dirty = True

    def save(self) -> None:
        """Write the file if something was added (atomically; a failure only costs the next start a parse)."""
        if not self._dirty:
            return
        self._dirty = False
        from plow_tui.private_files import replace_private

        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            replace_private(self.path, pickle.dumps((self._identity, self._entries), protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as error:
            log.info("style cache %s not written: %s", self.path, error)


class CachedStylesheet(Stylesheet):
    """Textual's `Stylesheet`, taking each source's parsed rules from a `StyleCache` when it has them."""

    def __init__(self, cache: StyleCache, *, variables: dict[str, str] | None = None) -> None:
        super().__init__(variables=variables)
        self._cache = cache
        self._variables_key: str | None = None

    @classmethod
    def replacing(cls, stylesheet: Stylesheet, cache: StyleCache) -> CachedStylesheet:
        """A cached stylesheet in place of the app's new `stylesheet` (its theme's variables, nothing read yet)."""
        return cls(cache, variables=stylesheet._variables)

    def set_variables(self, variables: dict[str, str]) -> None:
        super().set_variables(variables)
        self._variables_key = None

    def _parse_rules(
        self,
        css: str,
        read_from: Any,
        is_default_rules: bool = False,
        tie_breaker: int = 0,
        scope: str = "",
    ) -> list[RuleSet]:
        rules = self._parse_cache.get((css, read_from, is_default_rules, tie_breaker, scope))
        if rules is not None:
            return rules
        if self._variables_key is None:
            self._variables_key = StyleCache.key(sorted(self._variables.items()))
        key = StyleCache.key(self._variables_key, css, read_from, is_default_rules, tie_breaker, scope)
        rules = self._cache.get(key)
        if rules is None:
            rules = super()._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)
            if not any(rule.errors for rule in rules):
                self._cache.put(key, rules)
        else:
            self._parse_cache[(css, read_from, is_default_rules, tie_breaker, scope)] = rules
        return rules

    def parse(self) -> None:
        super().parse()
        self._cache.save()

    def reparse(self) -> None:
        """Textual's `reparse` (a theme change, a screen's own CSS), parsing through the cache.

        Textual's own parses into a fresh plain `Stylesheet`, past any cache: the
        same steps here, into a `CachedStylesheet` (a configured theme is set as
        the app mounts, before the first frame, and reparsed every source).
        """
        stylesheet = CachedStylesheet(self._cache, variables=self._variables)
        for read_from, (css, is_defaults, tie_breaker, scope) in self.source.items():
            stylesheet.add_source(css, read_from=read_from, is_default_css=is_defaults, tie_breaker=tie_breaker, scope=scope)
        try:
            stylesheet.parse()
        except Exception:
            self._invalid_css.update(stylesheet._invalid_css)
            raise
        self._rules = stylesheet.rules
        self._rules_map = None
        self.source = stylesheet.source
        self._require_parse = False
