"""Turning what a visitor typed into words both search backends understand safely."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from agora.text import fold

MAX_TERMS = 8
MAX_TERM_LENGTH = 40
# A word: letters and digits, split where both indexes split text. The underscore is
# punctuation to SQLite's tokenizer and to PostgreSQL's parser. SQLite classifies characters
# by Unicode 6.1's tables, in which New Tai Lue's and two Vedic signs (U+19B0-U+19C9,
# U+1CF2-U+1CF3) were vowel signs, not the letters Python's Unicode makes them: a word
# holding one reached FTS5 as a run of two words, which its tables (no positions) refuse.
# tests/store/test_search_input.py checks every code point against SQLite itself.
WORD_CHARACTER = "[^\\W_\u19b0-\u19c0\u19c8\u19c9\u1cf2\u1cf3]"
WORD = re.compile(WORD_CHARACTER + "+")


@dataclass(frozen=True)
class Query:
    """What was typed, as words; the last one matches as a prefix while typing.

    `words` go to the indexes as typed: each folds them as it folds the text it holds
    (SQLite keeps Cyrillic й and Greek accents that Python's folding would strip, and
    PostgreSQL's `unaccent` folds its own way). `terms` are the same words accent-folded
    and lower-cased, for what Python matches itself (relevance, the type-ahead names)."""

    words: tuple[str, ...]
    terms: tuple[str, ...]
    prefix_last: bool

    @property
    def empty(self) -> bool:
        return not (self.words and self.terms)


def parse(text: str, *, prefix_last: bool = False) -> Query:
    # Operators and quotes are never passed through: a query is words, nothing else.
    # A repeated word adds nothing to an AND query but makes the index read its matches twice.
    by_folded: dict[str, str] = {}
    for word in WORD.findall(unicodedata.normalize("NFC", text)):  # NFC: "e" + a combining accent is é
        by_folded.setdefault(fold(word), word[:MAX_TERM_LENGTH])
    words = tuple(by_folded.values())[:MAX_TERMS]
    terms = tuple(dict.fromkeys(t[:MAX_TERM_LENGTH] for t in WORD.findall(fold(text))))[:MAX_TERMS]
    return Query(words=words, terms=terms, prefix_last=prefix_last and bool(words))


def fts5_match(query: Query) -> str:
    """An FTS5 MATCH expression: every word required, each quoted so none ("OR", "NEAR")
    is an operator. WORD holds no quote, and no character FTS5's tokenizer splits at."""
    parts = [f'"{word}"' for word in query.words]
    if query.prefix_last:
        parts[-1] += "*"
    return " AND ".join(parts)


def index_words(query: Query) -> list[tuple[str, bool]]:
    """(word, is_prefix) pairs, as typed; the PostgreSQL backend binds each as a parameter."""
    return [(word, query.prefix_last and i == len(query.words) - 1) for i, word in enumerate(query.words)]

