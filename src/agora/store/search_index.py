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

from agora.store import ranking
from agora.store.models import Listing
from agora.store.ttl_cache import TtlCache
from agora.store.query import Query, fts5_match, tsquery_terms
from agora.text import fold

FTS_COLUMNS = ("name", "name_fr", "description", "description_fr", "tags", "builder_name")
NAME_COLUMNS = ("name", "name_fr")
# bm25 weights per FTS column: names count most, then tags, then descriptions.
BM25_WEIGHTS = "10.0, 10.0, 3.0, 3.0, 5.0, 2.0"



@dataclass(frozen=True)
class Candidate:
    """A matching listing with what ranking needs, read in the same query as the match."""

    listing_id: int
    relevance: float  # larger is better; only comparable within one query
    rating_score: float
    rating_count: int
    conversations: int
    trending: float
    published_at: object  # a datetime, or SQLite's sortable ISO text


# Columns read with every candidate, and the filters a search may add.
RANK_COLUMNS = "l.id, {relevance}, l.rating_score, l.rating_count, l.conversations, l.trending, l.published_at"


def filters(category_id: int | None, language: str | None) -> tuple[str, dict]:
    sql, params = "", {}
    if category_id is not None:
        sql += " AND l.category_id = :category_id"
        params["category_id"] = category_id
    if language in ("en", "fr"):
        sql += f" AND l.has_{language}"
    return sql, params


def _values(listing: Listing, *, folded: bool) -> dict[str, str]:
    return {column: (fold if folded else str)(getattr(listing, column) or "") for column in FTS_COLUMNS}


class SqliteIndex:
    """Two FTS5 tables index store_listings as external content (the text lives once, in the
    listing), both keyed by search_key so matches come back most used first:

    - `store_fts` (migration 0004) over every searched column, with the porter stemmer;
    - `store_names_fts` (migration 0011) over the names alone, without stemming, for
      type-ahead: a prefix then reads the short lists of names that contain it, not the
      whole-document lists of every word it starts filtered down to names.

    FTS5's tokenizer folds case and accents itself, so both index the stored text as is
    (and `INSERT INTO t(t) VALUES('rebuild')` rebuilds the same index)."""

    TABLES = (("store_fts", FTS_COLUMNS), ("store_names_fts", NAME_COLUMNS))

    def add(self, session: Session, listing: Listing) -> None:
        self._write(session, listing, delete=False)

    def remove(self, session: Session, listing: Listing) -> None:
        """Remove with the values that were indexed (FTS5 external content needs them)."""
        self._write(session, listing, delete=True)

    def _write(self, session: Session, listing: Listing, *, delete: bool) -> None:
        values = _values(listing, folded=False)
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
        match = fts5_match(query, NAME_COLUMNS if names_only else None)
        where, params = filters(category_id, language)
        columns = RANK_COLUMNS.format(relevance=f"-bm25(store_fts, {BM25_WEIGHTS})")
        rows = session.execute(
            text(
                f"SELECT {columns} FROM store_fts JOIN store_listings l ON l.search_key = store_fts.rowid "
                f"WHERE store_fts MATCH :match{where} ORDER BY store_fts.rowid LIMIT :limit"
            ),
            {"match": match, "limit": limit, **params},
        ).all()
        return [Candidate(*row) for row in rows]

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
TIER_LEXEME = f"array_to_tsvector(ARRAY['~' || (:search_key >> {ranking.TIER_BITS})::text])"


class PostgresIndex:
    """Weighted tsvector (A names, B tags, C descriptions, D builder) with a GIN index.

    Texts are accent-folded in Python first, so no extension (unaccent) is needed, and each
    language goes through its own stemmer; 'simple' keeps exact words for names and tags.
    """

    VECTOR = (
        "setweight(to_tsvector('english', :name), 'A') || setweight(to_tsvector('french', :name_fr), 'A') || "
        "setweight(to_tsvector('simple', :name || ' ' || :name_fr), 'A') || "
        "setweight(to_tsvector('simple', :tags), 'B') || "
        "setweight(to_tsvector('english', :description), 'C') || "
        "setweight(to_tsvector('french', :description_fr), 'C') || "
        "setweight(to_tsvector('simple', :builder_name), 'D') || " + TIER_LEXEME
    )
    NAME_VECTOR = "to_tsvector('simple', :name || ' ' || :name_fr) || " + TIER_LEXEME

    def add(self, session: Session, listing: Listing) -> None:
        session.execute(
            text(f"UPDATE store_listings SET search_vector = {self.VECTOR}, name_vector = {self.NAME_VECTOR} WHERE id = :id"),
            {"id": listing.id, "search_key": listing.search_key, **_values(listing, folded=True)},
        )

    def remove(self, session: Session, listing: Listing) -> None:
        pass  # the vectors live on the listing row, which the caller deletes or rewrites

    def candidates(
        self, session: Session, query: Query, *, limit: int, names_only: bool = False,
        category_id: int | None = None, language: str | None = None,
    ) -> list[Candidate]:
        # Relevance is always ranked on the whole document, whichever vector filtered it.
        full, params = self._tsquery(query, ("english", "french", "simple"))
        matcher, column = (self._tsquery(query, ("simple",))[0], "name_vector") if names_only else (full, "search_vector")
        where, filter_params = filters(category_id, language)
        columns = RANK_COLUMNS.format(relevance=f"ts_rank_cd('{{0.1, 0.2, 0.5, 1.0}}', l.search_vector, {full})")
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
        parallel = session.execute(text(
            "SELECT current_setting('max_parallel_workers_per_gather'), set_config('enable_seqscan', 'off', true), "
            "set_config('max_parallel_workers_per_gather', '0', true)"  # no full scans; branches run in order
        )).scalar()
        try:
            rows = session.execute(
                text(
                    # Ranking runs on the rows kept, not on every match (it reads the whole vector).
                    f"SELECT {columns} FROM (SELECT * FROM ({union}) u LIMIT :limit) hit "
                    f"JOIN store_listings l ON l.id = hit.id ORDER BY hit.search_key"
                ),
                {**params, **filter_params, "limit": limit},
            ).all()
        finally:
            session.execute(text("SELECT set_config('enable_seqscan', 'on', true), "
                                 "set_config('max_parallel_workers_per_gather', :parallel, true)"), {"parallel": parallel})
        return [Candidate(*row) for row in rows]

    def suggestions(self, session: Session, query: Query, *, limit: int) -> list[int]:
        """Ids of listings whose name matches, the most used first (name_vector)."""
        return [c.listing_id for c in self.candidates(session, query, limit=limit, names_only=True)]

    @staticmethod
    def _tsquery(query: Query, configs: tuple[str, ...]) -> tuple[str, dict[str, str]]:
        parts, params = [], {}
        for i, (term, prefix) in enumerate(tsquery_terms(query)):
            # Terms are \w+ words (store.query), bound as parameters; ':*' makes a prefix match.
            params[f"t{i}"] = term + (":*" if prefix else "")
            alternatives = " || ".join(f"to_tsquery('{config}', :t{i})" for config in configs)
            parts.append(f"({alternatives})")
        return "(" + " && ".join(parts) + ")", params


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
