"""PostgreSQL's store search index: two tsvectors per listing, GIN indexes per popularity band.

GIN cannot return matches in search-key order and stop early as FTS5 does: it finds every
match of a read at once, and reading each matching row is what costs. So search reads
popularity band by band, most used first, and stops as soon as the pool is full. Inside a
band it plans each read from the words' frequencies (the statistics ANALYZE keeps):

- a band expected to hold few matches (a rare word, or common words that rarely meet) is
  read whole, its matches sorted by search key: one walk of the words' lists;
- a band expected to hold many is read tier by tier, most used first (each listing's
  vector carries its tier as a lexeme no text can produce, `~7`), so a common word is
  answered from its busiest matches without reading the rest; neighbouring tiers expected
  to hold few matches are read together. Each such read walks the words' lists of the
  band again, and intersecting with a tier's own long list can cost more than the words
  (20 ms for no match at 3 M GPTs): the reason not to do it always.

Bands of one tier (1 or 2 conversations; none) are always read whole: their listings are
equally used, and any matches will do.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import snowballstemmer
from sqlalchemy import text
from sqlalchemy.orm import Session

from agora.cache import RefreshingCache
from agora.store import ranking
from agora.store.candidates import RANK_COLUMNS, Candidate, candidate, filters
from agora.store.models import Listing
from agora.store.query import Query, index_words

# The search vectors' GIN indexes are partial, one per band of popularity tiers (migration
# 0011): a read within a band intersects only that band's share of each word's matches.
# The bands, by conversations: 15 or more, 3 to 14, 1 or 2, none. Kept in step with the
# migrations (0011, 0013).
BANDS = ((0, 27), (28, 29), (30, 30), (31, 31))
# Tiers read together (their matches sorted by search key) are expected to hold at most
# this many matches; a tier expected to hold more is read alone, and the read stops as soon
# as the pool is full (within a tier, any matches will do).
GROUP_MATCHES = 250
# A band expected to hold at most this many matches is read whole. Should the words meet
# far more often than their frequencies predict, at most WHOLE_READ_CAP of its matches are
# read (its first ones on disk: the order within the band is then approximate).
WHOLE_READ = 1000
WHOLE_READ_CAP = 4 * WHOLE_READ
STATISTICS_SECONDS = 600

# Both vectors also carry the listing's popularity tier as a lexeme no text can produce
# ("~7"), so GIN itself can intersect a word's matches with a tier.
TIER_LEXEME = f"array_to_tsvector(ARRAY['~' || (search_key >> {ranking.TIER_BITS})::text])"
# What `agora_search` makes of an accent-folded word (migration 0013): its English stem.
_ENGLISH = snowballstemmer.stemmer("english")


class PostgresIndex:
    """Two tsvectors per listing, each with GIN indexes partial per popularity band:

    - `search_vector`: every searched column through `agora_search` (migration 0013):
      accents removed by `unaccent`, English Snowball stems, no stop words, so each query
      word is one lexeme (as SQLite's porter tokenizer matches), and GIN walks only the
      rarest word's list to intersect them;
    - `name_vector`: the names through `agora_names` (accents removed, words as typed), for
      type-ahead prefixes and the names pass of search.

    Both are computed in SQL from the listing's stored columns (the migration rebuilds
    them the same way); queries go through the same configurations.
    """

    VECTOR = (
        "to_tsvector('agora_search', concat_ws(' ', name, name_fr, tags, description, description_fr, builder_name)) || "
        + TIER_LEXEME
    )
    NAME_VECTOR = "to_tsvector('agora_names', concat_ws(' ', name, name_fr)) || " + TIER_LEXEME

    def __init__(self, statistics: RefreshingCache | None = None) -> None:
        self.statistics = statistics  # the application's cache of them (store.caches); None reads them now

    def add(self, session: Session, listing: Listing) -> None:
        """Index the listing as flushed (its texts and search key are read from its row)."""
        session.execute(
            text(f"UPDATE store_listings SET search_vector = {self.VECTOR}, name_vector = {self.NAME_VECTOR} WHERE id = :id"),
            {"id": listing.id},
        )

    def remove(self, session: Session, listing: Listing) -> None:
        pass  # the vectors live on the listing row, which the caller deletes or rewrites

    def candidates(self, session: Session, query: Query, *, limit: int, names_only: bool = False,
                   category_id: int | None = None, language: str | None = None) -> list[Candidate]:
        matcher, params = _tsquery(query, "agora_names" if names_only else "agora_search")
        column = "name_vector" if names_only else "search_vector"
        where, filter_params = filters(category_id, language)
        reads = [
            _read(column, matcher, tiers, where, whole=whole)
            for tiers, whole in statistics(session, self.statistics).plan(query, names_only=names_only)
        ]
        _plan_for_search(session)
        # One statement: its reads are the branches of a UNION ALL under a LIMIT, which
        # PostgreSQL runs in order and stops pulling from once the pool is full. (One
        # statement per read cost a round trip and a plan each: ~0.5 ms times a dozen.)
        rows = session.execute(
            text(
                # The rows kept are read once, for ranking (store.relevance scores their texts).
                f"SELECT {RANK_COLUMNS} FROM (SELECT * FROM ({' UNION ALL '.join(reads)}) u LIMIT :limit) hit "
                f"JOIN store_listings l ON l.id = hit.id ORDER BY hit.search_key"
            ),
            {**params, **filter_params, "limit": limit},
        ).all()
        return [candidate(row) for row in rows]

    def suggestions(self, session: Session, query: Query, *, limit: int) -> list[int]:
        """Ids of listings whose name matches, the most used first (name_vector)."""
        return [c.listing_id for c in self.candidates(session, query, limit=limit, names_only=True)]


def _tsquery(query: Query, config: str) -> tuple[str, dict[str, str]]:
    parts, params = [], {}
    for i, (word, prefix) in enumerate(index_words(query)):
        # Words as typed (store.query.WORD: nothing to_tsquery reads as syntax), bound as
        # parameters and folded by the configuration as the text was; ':*' makes a prefix match.
        params[f"t{i}"] = word + (":*" if prefix else "")
        parts.append(f"to_tsquery('{config}', :t{i})")
    return "(" + " && ".join(parts) + ")", params


def _read(column: str, matcher: str, tiers: tuple[int, ...], where: str, *, whole: bool) -> str:
    """One branch of the UNION ALL: matches within `tiers`, in search-key order."""
    band = band_of(tiers)
    if whole:
        if len(tiers) == 1:  # equally used: any matches will do, and the scan stops early
            return f"(SELECT l.id, l.search_key FROM store_listings l WHERE l.{column} @@ {matcher} AND {band}{where} LIMIT :limit)"
        # "+ 0": sorted after the GIN read, never by walking the search_key b-tree.
        return (
            f"(SELECT id, search_key FROM (SELECT l.id, l.search_key FROM store_listings l WHERE l.{column} @@ {matcher} "
            f"AND {band}{where} LIMIT {WHOLE_READ_CAP}) whole ORDER BY search_key + 0 LIMIT :limit)"
        )
    lexemes = " | ".join(f"'~{tier}'" for tier in tiers).replace("'", "''")  # digits and quotes only
    order = " ORDER BY l.search_key + 0" if len(tiers) > 1 else ""  # a group of sparse tiers holds few
    return (
        f"(SELECT l.id, l.search_key FROM store_listings l WHERE l.{column} @@ ({matcher} && CAST('{lexemes}' AS tsquery)) "
        f"AND {band}{where}{order} LIMIT :limit)"
    )


def band_of(tiers: tuple[int, ...]) -> str:
    """The SQL condition that selects (and lets the planner prove) the band of `tiers`:
    on the tier expression, which no b-tree indexes, so only the GIN index can serve it."""
    low, high = next((lo, hi) for lo, hi in BANDS if lo <= tiers[0] <= hi)
    tier = f"(l.search_key >> {ranking.TIER_BITS})"
    return f"{tier} >= {low} AND {tier} <= {high}"


def _plan_for_search(session: Session) -> None:
    """Plan the reads as written, for the rest of this transaction: no full scans, no
    parallel workers (a parallel append would not run the UNION ALL's branches in order),
    and a plan for each search's own words (psycopg prepares a statement run five times,
    and a generic plan is blind to the words' frequencies).

    Set once per transaction (set_config's `true`: it ends with it) rather than set and
    restored around each read, which cost four round trips a search. What else a search
    request reads afterwards is primary-key and small-table lookups, planned the same, but
    without JIT: a disabled scan costs 10^10 in the planner's units, which made PostgreSQL
    compile the request's next statement, a read of the 12 categories, for 137 ms."""
    planned = session.info.get("search_planned")
    if planned is None or planned is not session.get_transaction():
        session.execute(text("SELECT set_config('enable_seqscan', 'off', true), "
                             "set_config('max_parallel_workers_per_gather', '0', true), "
                             "set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)"))
        session.info["search_planned"] = session.get_transaction()


@dataclass(frozen=True)
class Statistics:
    """What planning a search needs to know of the store, from what ANALYZE keeps."""

    listings: float
    tier_share: dict[int, float]  # each tier's share of the listings (search_key histogram)
    word_share: dict[str, float]  # the commonest search_vector lexemes' share of listings
    name_share: dict[str, float]  # the same for name_vector
    unlisted_share: float  # at most this for a lexeme not listed (the least listed share)

    def plan(self, query: Query, *, names_only: bool) -> list[tuple[tuple[int, ...], bool]]:
        """(tiers, whole) reads in order: each band whole, or tier group by tier group."""
        share = self._query_share(query, names_only)
        reads: list[tuple[tuple[int, ...], bool]] = []
        for low, high in BANDS:
            tiers = tuple(range(low, high + 1))
            rows = self.listings * sum(self.tier_share.get(t, 0.0) for t in tiers)
            if low == high or rows * share <= WHOLE_READ:
                reads.append((tiers, True))
            else:
                reads += [(group, False) for group in self.groups(tiers, share)]
        return reads

    def _query_share(self, query: Query, names_only: bool) -> float:
        """The expected share of listings matching every word (as if words were independent;
        1 when unknown: a prefix, or before the first ANALYZE)."""
        if not self.tier_share or query.prefix_last:
            return 1.0
        shares = self.name_share if names_only else self.word_share
        share = 1.0
        for term in query.terms:
            lexeme = term if names_only else _ENGLISH.stemWord(term)
            share *= shares.get(lexeme, self.unlisted_share)
        return share

    def groups(self, tiers: tuple[int, ...], share: float) -> list[tuple[int, ...]]:
        """Consecutive tiers grouped while their expected matches stay under GROUP_MATCHES
        (a group's matches are all read, to be sorted); a busier tier is a group alone."""
        groups: list[tuple[int, ...]] = []
        current: list[int] = []
        expected = 0.0
        for tier in tiers:
            matches = self.listings * self.tier_share.get(tier, 0.0) * share
            if current and expected + matches > GROUP_MATCHES:
                groups.append(tuple(current))
                current, expected = [], 0.0
            current.append(tier)
            expected += matches
        return groups + ([tuple(current)] if current else [])


def statistics(session: Session, cache: RefreshingCache | None) -> Statistics:
    """The store's statistics, read once every ten minutes per worker by a background thread
    (searches meanwhile plan with the previous ones). Before the first ANALYZE there are
    none: each band is then read whole, in order.

    Word frequencies and tier sizes come from what ANALYZE keeps: the most common lexemes
    of each vector, and the search_key histogram, whose statistics target is 1,000
    (migration 0013) so that the busiest band's tiers, 2.5 % of the listings, are seen."""
    if cache is None:
        return _read_statistics(session)
    return cache.read("statistics", session, _read_statistics)


def _read_statistics(session: Session) -> Statistics:
    rows = {
        attname: (bounds, elements, frequencies)
        for attname, bounds, elements, frequencies in session.execute(
            text(
                "SELECT attname, histogram_bounds::text::bigint[], most_common_elems::text::text[], "
                "most_common_elem_freqs FROM pg_stats WHERE schemaname = current_schema() "
                "AND tablename = 'store_listings' AND attname IN ('search_key', 'search_vector', 'name_vector')"
            )
        )
    }
    bounds = (rows.get("search_key") or (None,))[0]
    if not bounds or len(bounds) < 11:
        return Statistics(0.0, {}, {}, {}, 1.0)
    listings = max(float(session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'store_listings'::regclass")) or 0), 1.0)
    tier_share = {tier: n / len(bounds) for tier, n in Counter(bound >> ranking.TIER_BITS for bound in bounds).items()}
    words, unlisted = _element_shares(rows.get("search_vector"))
    names, _ = _element_shares(rows.get("name_vector"))
    return Statistics(listings, tier_share, words, names, unlisted)


def _element_shares(row) -> tuple[dict[str, float], float]:
    """Lexeme -> share of listings, from a tsvector's most common elements; and the least
    share listed (PostgreSQL appends the minimum, maximum and null frequencies)."""
    if not row or not row[1] or not row[2]:
        return {}, 1.0
    _, elements, frequencies = row
    listed = dict(zip(elements, frequencies[: len(elements)], strict=True))
    return listed, min(listed.values(), default=1.0)
