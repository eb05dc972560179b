"""Type-ahead over the names of the busiest GPTs, held in memory.

Suggestions are the most used GPTs whose name matches what has been typed, and a two- or
three-letter prefix matches thousands of names: an index (FTS5, GIN) expands it into every
word it starts and reads their lists, 10-20 ms at 3 M GPTs. Almost every prefix has its
eight suggestions among the few thousand busiest GPTs, so their names are kept per worker
as a word -> positions map over a sorted vocabulary, and a prefix is a bisect and a merge of
short lists. Only prefixes too rare there go on to the full index (store.search.suggest).

The map is rebuilt once a minute by a background thread while requests go on using the
previous one (agora.cache.RefreshingCache: no suggest request pays the 80-230 ms rebuild but
a worker's first), so a GPT whose usage just jumped may take a minute or two to be
suggested from it. Ids found here are read back from the listings, so a GPT
that left the store (or was renamed) is never shown as it was.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.cache import RefreshingCache
from agora.store.models import Listing
from agora.store.query import WORD, Query
from agora.text import fold

BUSIEST = 5000
REFRESH_SECONDS = 60


class Names:
    """The busiest listings' names: for each word, the positions (popularity order) of the
    listings whose English or French name contains it."""

    def __init__(self, rows: list[tuple[int, str, str]]) -> None:
        self.ids = [listing_id for listing_id, _, _ in rows]
        words: dict[str, list[int]] = {}
        for position, (_, name, name_fr) in enumerate(rows):
            for word in set(WORD.findall(fold(f"{name} {name_fr}"))):
                words.setdefault(word, []).append(position)
        self.vocabulary = sorted(words)
        self.positions = [words[w] for w in self.vocabulary]

    def match(self, query: Query, limit: int) -> list[int]:
        """Ids of the busiest listings whose names hold every word (the last as a prefix
        while typing), most used first."""
        if len(query.terms) == 1 and query.prefix_last:  # the common case: merge until enough
            return [self.ids[p] for p in islice(_distinct(heapq.merge(*self._lists(query.terms[0]))), limit)]
        found: set[int] | None = None
        for i, term in enumerate(query.terms):
            prefix = query.prefix_last and i == len(query.terms) - 1
            positions = self._prefixed(term) if prefix else set(self._exact(term))
            found = positions if found is None else found & positions
            if not found:
                return []
        return [self.ids[p] for p in sorted(found or ())[:limit]]

    def _exact(self, word: str) -> list[int]:
        at = bisect_left(self.vocabulary, word)
        return self.positions[at] if at < len(self.vocabulary) and self.vocabulary[at] == word else []

    def _lists(self, prefix: str) -> list[list[int]]:
        """The position lists of every word that starts with `prefix`."""
        lists = []
        at = bisect_left(self.vocabulary, prefix)
        while at < len(self.vocabulary) and self.vocabulary[at].startswith(prefix):
            lists.append(self.positions[at])
            at += 1
        return lists

    def _prefixed(self, prefix: str) -> set[int]:
        return {p for positions in self._lists(prefix) for p in positions}


def _distinct(ordered):
    last = None
    for item in ordered:
        if item != last:
            yield item
            last = item


def busiest_names(session: Session, cache: RefreshingCache | None) -> Names:
    """The names, from `cache` (the application's: app.state.caches.store.names) when given."""
    if cache is None:
        return _read_busiest_names(session)
    return cache.read("names", session, _read_busiest_names)


def _read_busiest_names(session: Session) -> Names:
    rows = session.execute(
        select(Listing.id, Listing.name, Listing.name_fr).order_by(Listing.search_key).limit(BUSIEST)
    ).all()
    return Names([(listing_id, name, name_fr) for listing_id, name, name_fr in rows])
