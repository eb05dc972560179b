"""The full-text index behind store search, one implementation per database.

Both return *candidates*: matching listings in search-key order (most used first), so a
query for a word in a million GPTs reads only the first few hundred matches. Relevance,
quality and popularity are then blended over those candidates (store.search).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from agora.store import ranking, relevance
from agora.store.models import Listing
from agora.store.ttl_cache import TtlCache
from agora.store.query import Query, fts5_match, tsquery_terms

FTS_COLUMNS = ("name", "name_fr", "description", "description_fr", "tags", "builder_name")


@dataclass(frozen=True)
class Candidate:
    """A matching listing with what ranking needs, read in the same query as the match."""

    listing_id: int
    rating_score: float
    rating_count: int
    conversations: int
    trending: float
    published_at: object  # a datetime, or SQLite's sortable ISO text
    texts: tuple[str, ...]  # the fields relevance scores (store.relevance.FIELDS), as stored


# Columns read with every candidate (its texts last: store.relevance scores them), and the
# filters a search may add.
RANK_COLUMNS = "l.id, l.rating_score, l.rating_count, l.conversations, l.trending, l.published_at, " + ", ".join(
    f"l.{field}" for field, _, _ in relevance.FIELDS
)


def _candidate(row) -> Candidate:
    return Candidate(*row[:6], texts=tuple(row[6:]))


def filters(category_id: int | None, language: str | None) -> tuple[str, dict]:
    sql, params = "", {}
    if category_id is not None:
        sql += " AND l.category_id = :category_id"
        params["category_id"] = category_id
    if language in ("en", "fr"):
        sql += f" AND l.has_{language}"
    return sql, params


def _values(listing: Listing) -> dict[str, str]:
    return {column: getattr(listing, column) or "" for column in FTS_COLUMNS}


class SqliteIndex:
    """Two FTS5 tables index store_listings as external content (the text lives once, in the
    listing), both keyed by search_key so matches come back most used first:

    - `store_fts` (migration 0004) over every searched column, with the porter stemmer;
    - `store_names_fts` (migration 0011) over the names alone, without stemming, for
      type-ahead and the names pass of search: a prefix or a word then reads the short
      lists of names that contain it, not the whole-document lists filtered down to names
      (a column filter walks those to their end).

    FTS5's tokenizer folds case and accents itself, so both index the stored text as is
    (and `INSERT INTO t(t) VALUES('rebuild')` rebuilds the same index). Both keep row ids
    only (`detail=none`, migration 0013): search needs which listings hold every word, in
    search-key order, and nothing else from them."""

    TABLES = (("store_fts", FTS_COLUMNS), ("store_names_fts", ("name", "name_fr")))

    def add(self, session: Session, listing: Listing) -> None:
        self._write(session, listing, delete=False)

    def remove(self, session: Session, listing: Listing) -> None:
        """Remove with the values that were indexed (FTS5 external content needs them)."""
        self._write(session, listing, delete=True)

    def _write(self, session: Session, listing: Listing, *, delete: bool) -> None:
        values = _values(listing)
        for table, columns in self.TABLES:
            names, marks = ", ".join(columns), ", ".join(f":{c}" for c in columns)
            command = (f"{table}, ", "'delete', ") if delete else ("", "")  # FTS5's delete command row
            session.execute(
                text(f"INSERT INTO {table}({command[0]}rowid, {names}) VALUES ({command[1]}:rowid, {marks})"),
                {"rowid": listing.search_key, **{c: values[c] for c in columns}},
            )

    def candidates(
        self, session: Session, query: Query, *, limit: int, names_only: bool = False,
        category_id: int | None = None, language: str | None = None,
    ) -> list[Candidate]:
        # No bm25(): it counts every document holding each word to weigh it, a walk of each
        # word's whole list on every query (store.relevance scores the candidates instead).
        table = "store_names_fts" if names_only else "store_fts"
        where, params = filters(category_id, language)
        rows = session.execute(
            text(
                f"SELECT {RANK_COLUMNS} FROM {table} JOIN store_listings l ON l.search_key = {table}.rowid "
                f"WHERE {table} MATCH :match{where} ORDER BY {table}.rowid LIMIT :limit"
            ),
            {"match": fts5_match(query), "limit": limit, **params},
        ).all()
        return [_candidate(row) for row in rows]

    def suggestions(self, session: Session, query: Query, *, limit: int) -> list[int]:
        """Ids of listings whose name matches, the most used first."""
        rows = session.execute(
            text(
                "SELECT l.id FROM store_names_fts JOIN store_listings l ON l.search_key = store_names_fts.rowid "
                "WHERE store_names_fts MATCH :match ORDER BY store_names_fts.rowid LIMIT :limit"
            ),
            {"match": fts5_match(query), "limit": limit},
        )
        return list(rows.scalars())


# Both vectors also carry the listing's popularity tier as a lexeme no text can produce
# ("~7"), so GIN itself can intersect a word's matches with a tier (see candidates).
TIER_LEXEME = f"array_to_tsvector(ARRAY['~' || (search_key >> {ranking.TIER_BITS})::text])"


class PostgresIndex:
    """Two tsvectors per listing, each with GIN indexes (partial, per popularity band):

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

    def add(self, session: Session, listing: Listing) -> None:
        """Index the listing as flushed (its texts and search key are read from its row)."""
        session.execute(
            text(f"UPDATE store_listings SET search_vector = {self.VECTOR}, name_vector = {self.NAME_VECTOR} WHERE id = :id"),
            {"id": listing.id},
        )

    def remove(self, session: Session, listing: Listing) -> None:
        pass  # the vectors live on the listing row, which the caller deletes or rewrites

    def candidates(
        self, session: Session, query: Query, *, limit: int, names_only: bool = False,
        category_id: int | None = None, language: str | None = None,
    ) -> list[Candidate]:
        matcher, params = self._tsquery(query, "agora_names" if names_only else "agora_search")
        column = "name_vector" if names_only else "search_vector"
        where, filter_params = filters(category_id, language)
        # GIN cannot return matches in search-key order and stop early as FTS5 does: it
        # finds every match, and reading each from the table is what costs. So matches are
        # read tier group by tier group, most used first (GIN intersects the words with the
        # tier lexemes), stopping as soon as the pool is full: a common word is answered
        # from its busiest matches, a rare one reads its few matches in every tier.
        # One statement: its tier-group reads are the branches of a UNION ALL under a LIMIT,
        # which PostgreSQL runs in order and stops pulling from once the pool is full. (One
        # statement per group cost a round trip and a plan each: ~0.5 ms times a dozen.)
        def branch(tiers: tuple[int, ...]) -> str:
            # Within one tier popularity is equal: any matches will do, and the scan stops
            # after `limit`. A group of sparse tiers is ordered, but holds few matches.
            order = " ORDER BY l.search_key + 0" if len(tiers) > 1 else ""
            matching = matcher
            if tiers not in WHOLE_BANDS:  # a whole band is its own index: the lexeme would only cost
                # (GIN would check it at every candidate, walking a list as long as the band)
                lexemes = tier_query(tiers).replace("'", "''")  # '~7' | '~8': digits and quotes only
                matching = f"({matcher} && CAST('{lexemes}' AS tsquery))"
            return (
                f"(SELECT l.id, l.search_key FROM store_listings l WHERE l.{column} @@ "
                f"{matching} AND {band_of(tiers)}{where}{order} LIMIT :limit)"
            )

        union = " UNION ALL ".join(branch(tiers) for tiers in tier_groups(session))
        _plan_for_search(session)
        rows = session.execute(
            text(
                # The rows kept are read once, for ranking (store.relevance scores their texts).
                f"SELECT {RANK_COLUMNS} FROM (SELECT * FROM ({union}) u LIMIT :limit) hit "
                f"JOIN store_listings l ON l.id = hit.id ORDER BY hit.search_key"
            ),
            {**params, **filter_params, "limit": limit},
        ).all()
        return [_candidate(row) for row in rows]

    def suggestions(self, session: Session, query: Query, *, limit: int) -> list[int]:
        """Ids of listings whose name matches, the most used first (name_vector)."""
        return [c.listing_id for c in self.candidates(session, query, limit=limit, names_only=True)]

    @staticmethod
    def _tsquery(query: Query, config: str) -> tuple[str, dict[str, str]]:
        parts, params = [], {}
        for i, (term, prefix) in enumerate(tsquery_terms(query)):
            # Terms are \w+ words (store.query), bound as parameters; ':*' makes a prefix match.
            params[f"t{i}"] = term + (":*" if prefix else "")
            parts.append(f"to_tsquery('{config}', :t{i})")
        return "(" + " && ".join(parts) + ")", params


def _plan_for_search(session: Session) -> None:
    """Plan the tier reads as written, for the rest of this transaction: no full scans, and
    no parallel workers (a parallel append would not run the UNION ALL's branches in order).

    Set once per transaction (set_config's `true`: it ends with it) rather than set and
    restored around each read, which cost four round trips a search. What else a search
    request reads afterwards is primary-key and small-table lookups, planned the same."""
    planned = session.info.get("search_planned")
    if planned is None or planned is not session.get_transaction():
        session.execute(text("SELECT set_config('enable_seqscan', 'off', true), "
                             "set_config('max_parallel_workers_per_gather', '0', true)"))
        session.info["search_planned"] = session.get_transaction()


# The search vectors' GIN indexes are partial, one per band of popularity tiers (migration
# 0011): a read within a band intersects only that band's share of each word's matches,
# where one index over everything made every tier read walk the rarest word's whole list
# (a three-word query of common words read it once per tier group). The bands, by
# conversations: 15 or more, 3 to 14, 1 or 2, none. Kept in step with the migration.
BANDS = ((0, 27), (28, 29), (30, 30), (31, 31))
WHOLE_BANDS = {tuple(range(low, high + 1)) for low, high in BANDS}


def band_of(tiers: tuple[int, ...]) -> str:
    """The SQL condition that selects (and lets the planner prove) the band of `tiers`:
    on the tier expression, which no b-tree indexes, so only the GIN index can serve it."""
    low, high = next((lo, hi) for lo, hi in BANDS if lo <= tiers[0] <= hi)
    tier = f"(l.search_key >> {ranking.TIER_BITS})"
    return f"{tier} >= {low} AND {tier} <= {high}"


# A tier holding at least this share of the listings is read on its own; sparser tiers
# (the most used GPTs) are read together.
OWN_GROUP_SHARE = 0.005
_groups = TtlCache(600)


def tier_groups(session: Session) -> list[tuple[int, ...]]:
    """Popularity tiers in reading order, grouped so that each read has matches worth it,
    and never across two bands (each read is answered by one band's partial GIN index).

    Tier sizes come from the search_key histogram ANALYZE keeps (so finding them costs
    nothing); before the first ANALYZE each band is read at once, in order.
    """
    def compute() -> list[tuple[int, ...]]:
        bounds = session.scalar(
            text(
                "SELECT histogram_bounds::text::bigint[] FROM pg_stats WHERE schemaname = current_schema() "
                "AND tablename = 'store_listings' AND attname = 'search_key'"
            )
        )
        if not bounds or len(bounds) < 11:
            return [tuple(range(low, high + 1)) for low, high in BANDS]
        share = Counter(bound >> ranking.TIER_BITS for bound in bounds)
        groups: list[tuple[int, ...]] = []
        for low, high in BANDS:
            sparse: list[int] = []
            for tier in range(low, high + 1):
                if share[tier] / len(bounds) >= OWN_GROUP_SHARE:
                    if sparse:
                        groups.append(tuple(sparse))
                        sparse = []
                    groups.append((tier,))
                else:
                    sparse.append(tier)
            if sparse:
                groups.append(tuple(sparse))
        return groups

    return _groups.get(str(session.get_bind().url), compute)


def tier_query(tiers: tuple[int, ...]) -> str:
    return " | ".join(f"'~{tier}'" for tier in tiers)


def index_for(session: Session) -> SqliteIndex | PostgresIndex:
    return PostgresIndex() if session.get_bind().dialect.name == "postgresql" else SqliteIndex()
