"""How well a search candidate's text matches the query: one formula for both databases.

The index decides *what* matches (every word, stemmed, accents folded); this decides how
well, over the few hundred candidates a query reads. It used to be the databases' own
functions, and SQLite's was most of a search's time: FTS5's bm25() counts every document
holding each word to weigh it, a walk of the word's whole list on every query (15-40 ms
for a few common words at 3 M GPTs); PostgreSQL's ts_rank_cd read each candidate's whole
vector. Here the candidates' short fields are scored in Python, the same on both.

Per query word, BM25's saturating term frequency with length normalisation, per field:

    field score = W × tf × (K1 + 1) / (tf + K1 × (1 − B + B × words / TYPICAL))

summed over the names (English and French), tags and builder name. Every candidate holds
every query word somewhere (the index said so): a word none of those fields holds is in a
description, and counts as one mention in a description of typical length (W = 3 there).
Descriptions are not scanned: they are two thirds of the text, and how often a word recurs
in one says little. Query words are not weighed by rarity (no inverse document frequency):
every candidate holds them all, and counting a word's documents is the walk above.

A word of the text matches a query word when it equals it or starts with one of the query
word's English or French stems (Snowball), as the indexes match "translations" and
"translation" (docs/ranking.md).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate

import snowballstemmer

from agora.store.query import WORD_CHARACTER
from agora.text import fold

# The fields scored, in the order candidates carry them: (column, weight, typical words).
FIELDS = (
    ("name", 10.0, 3),
    ("name_fr", 10.0, 3),
    ("tags", 5.0, 3),
    ("builder_name", 2.0, 2),
)
K1 = 1.2
B = 0.75
IN_DESCRIPTION = 3.0  # one mention in a description of typical length: 3 × 1 × 2.2 / 2.2
# Stems shorter than this match whole words only: "us" (from "use") must not match "user".
MIN_STEM = 4

_STEMMERS = (snowballstemmer.stemmer("english"), snowballstemmer.stemmer("french"))
_SEPARATOR = "\x00"  # between fields: never part of a word, and kept by fold()


class Scorer:
    """Scores a pool of candidates for one query."""

    def __init__(self, terms: tuple[str, ...]) -> None:
        self.words = [_Word.of(term) for term in terms]
        starts = {start for word in self.words for start in (*word.prefixes, *word.whole)}
        # A start that begins with another adds nothing: the match runs on to the end of the
        # word, which is then compared with each query word in full. One pattern per start,
        # each a plain literal, which the regex engine finds by fast search; an alternation
        # of them, or a leading \b, made it try the pattern at every position instead.
        self.patterns = [
            re.compile(re.escape(start) + WORD_CHARACTER + "*")
            for start in sorted(starts)
            if not any(start != other and start.startswith(other) for other in starts)
        ]

    def scores(self, pool: list[tuple[str | None, ...]]) -> list[float]:
        """One score per candidate; each candidate is its FIELDS' texts, in order, as stored."""
        fields = [fold(text or "") for texts in pool for text in texts]
        # The whole pool as one string, searched once per start: per-field calls cost more
        # than the search. A match's field is found from where each field ends.
        joined = _SEPARATOR.join(fields)
        ends = list(accumulate(len(text) + 1 for text in fields))
        hits: dict[tuple[int, int], int] = {}  # (field number, query word) -> matches
        for pattern in self.patterns:
            for match in pattern.finditer(joined):
                start = match.start()
                if start and _is_word_character(joined[start - 1]):
                    continue  # inside a longer word
                found = match.group()
                field = bisect_right(ends, start)
                for number, word in enumerate(self.words):
                    if found in word.whole or found.startswith(word.prefixes):
                        hits[field, number] = hits.get((field, number), 0) + 1
        totals = [IN_DESCRIPTION * len(self.words)] * len(pool)
        seen: set[tuple[int, int]] = set()  # (candidate, query word) found in a scored field
        for (field, number), tf in hits.items():
            candidate, column = divmod(field, len(FIELDS))
            if (candidate, number) not in seen:
                seen.add((candidate, number))
                totals[candidate] -= IN_DESCRIPTION
            _, weight, typical = FIELDS[column]
            words = fields[field].count(" ") + 1
            totals[candidate] += weight * tf * (K1 + 1) / (tf + K1 * (1 - B + B * words / typical))
        return totals


_is_word_character = re.compile(WORD_CHARACTER).fullmatch  # words end where the indexes end them


class _Word:
    """A query word: the words of a text that match it are itself, or start with one of its
    stems long enough to mean it."""

    __slots__ = ("prefixes", "whole")

    def __init__(self, prefixes: tuple[str, ...], whole: frozenset[str]) -> None:
        self.prefixes, self.whole = prefixes, whole

    @staticmethod
    @lru_cache(maxsize=4096)
    def of(term: str) -> _Word:
        stems = {stemmer.stemWord(term) for stemmer in _STEMMERS}
        return _Word(
            prefixes=tuple(sorted(s for s in stems if len(s) >= MIN_STEM)),
            whole=frozenset({term, *(s for s in stems if len(s) < MIN_STEM)}),
        )
