"""Search text rules, shared by the store, the CLI and the app.

A query is split into words; a message matches when every word starts a word
of its body (case and accents ignored), so typing "hel wor" finds "Hello,
world". This is what SQLite's FTS5 `unicode61` tokenizer answers to prefix
queries, and the plain scan used without FTS5 gets as close as it can with
`LIKE`: a word anywhere, not only at a word start, and only ASCII letters
compared without case (no accent folding: folding every body in Python made a
keystroke take seconds on 100,000 messages).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import datetime
from typing import NamedTuple

# The characters FTS5's unicode61 tokenizer keeps in a token (letters, numbers);
# everything else separates words.
_WORD = re.compile(r"\w+", re.UNICODE)
SNIPPET_WIDTH = 80


def query_words(query: str) -> list[str]:
    """The words of `query`, folded (lower case, accents removed)."""
    return [fold(word) for word in _WORD.findall(query.replace("_", " "))]


def scan_words(query: str) -> list[str]:
    """The words of `query` for a `LIKE` scan: lower case, accents kept (LIKE cannot fold them)."""
    return [word.casefold() for word in _WORD.findall(query.replace("_", " "))]


def fold(text: str) -> str:
    """Lower case with combining accents removed, as the tokenizer compares."""
    if text.isascii():  # most text: nothing to decompose (and this runs per word of every hit)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fts_query(words: list[str]) -> str:
    """An FTS5 MATCH expression: every word as a quoted prefix (quotes cannot inject syntax)."""
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def like_pattern(word: str) -> str:
    """A `LIKE ... ESCAPE '\\'` pattern finding `word` anywhere."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def match_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Where the words of a query start words of `text`: sorted (start, end) pairs.

    Works on `text` as shown (not folded), mapping each word of it through
    `fold`, so the spans index the original string.
    """
    if not words:
        return []
    words = [fold(word) for word in words]
    if len(words) == 1 and text.isascii() and words[0].isascii():
        # The usual case (one word, typed as you go), and per hit of every
        # keystroke: finding it in the lowered text is several times cheaper
        # than the regular expression below, and its spans come out in order.
        spans = _ascii_word_starts(text.lower(), words[0])
        if spans:
            return spans
        ascii_only = True
    else:
        spans = []
        ascii_only = text.isascii() and all(word.isascii() for word in words)
        if ascii_only:
            # Most text: one regular expression finds word starts without folding word by word.
            spans = [found.span() for found in _ascii_starts(tuple(words)).finditer(text)]
    for found in () if ascii_only else _WORD.finditer(text.replace("_", " ")):
        folded = fold(found.group())
        for word in words:
            if folded.startswith(word):
                # The matched part of the original word: as many characters as
                # needed for its fold to cover the query word.
                end = found.start() + len(word) if found.group().isascii() else found.start()
                while end < found.end() and len(fold(text[found.start() : end])) < len(word):
                    end += 1
                spans.append((found.start(), end))
                break
    if not spans:  # the scan also finds words inside words: show those too
        lowered = fold(text)
        if len(lowered) == len(text):
            for word in words:
                start = lowered.find(word)
                while start >= 0:
                    spans.append((start, start + len(word)))
                    start = lowered.find(word, start + len(word))
    return sorted(spans)


def _ascii_word_starts(lowered: str, word: str) -> list[tuple[int, int]]:
    """Where `word` starts a word of ASCII `lowered` (what `_ascii_starts` matches for one word)."""
    spans: list[tuple[int, int]] = []
    if not word:
        return spans
    at = lowered.find(word)
    while at >= 0:
        if at == 0 or not (lowered[at - 1].isalnum()):
            spans.append((at, at + len(word)))
            at = lowered.find(word, at + len(word))
        else:
            at = lowered.find(word, at + 1)
    return spans


@functools.lru_cache(maxsize=64)
def _ascii_starts(words: tuple[str, ...]) -> re.Pattern[str]:
    """Any of `words` where a word of ASCII text starts (`_` separates words, as for the tokenizer)."""
    longest_first = sorted(words, key=len, reverse=True)
    return re.compile("(?<![A-Za-z0-9])(?:" + "|".join(re.escape(w) for w in longest_first) + ")", re.IGNORECASE)


def snippet(text: str, words: list[str], width: int = SNIPPET_WIDTH) -> tuple[str, list[tuple[int, int]]]:
    """A one-line excerpt of `text` around its first match, and the match spans within it."""
    flat = " ".join(text.split())
    spans = match_spans(flat, words)
    start = 0
    if spans and spans[0][0] > width // 3:
        start = spans[0][0] - width // 3
        # Start at a word boundary where one is near.
        space = flat.rfind(" ", 0, start)
        if space >= 0 and start - space < 12:
            start = space + 1
    end = min(len(flat), start + width)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    excerpt = prefix + flat[start:end] + suffix
    shift = len(prefix) - start
    inside = [(a + shift, min(b, end) + shift) for a, b in spans if a >= start and a < end]
    return excerpt, inside


class SearchHit(NamedTuple):
    """One message found: where it is, when, and a snippet with the matches marked.

    A NamedTuple, not a dataclass: fifty are made per keystroke, and a frozen
    dataclass took five times as long to build (issue #16's search_100k).
    """

    chat_uid: str
    chat_title: str
    message_uid: str
    created_at: datetime | None
    author: str
    body: str
    snippet: str
    spans: tuple[tuple[int, int], ...]
