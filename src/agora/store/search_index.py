"""The full-text index behind store search, one implementation per database.

Both return *candidates*: matching listings in search-key order (most used first), so a
query for a word in a million GPTs reads only the first few hundred matches. Relevance,
quality and popularity are then blended over those candidates (store.search).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from agora.store.models import Listing
from agora.store.query import Query, fts5_match, tsquery_terms
from agora.text import fold

FTS_COLUMNS = ("name", "name_fr", "description", "description_fr", "tags", "builder_name")
NAME_COLUMNS = ("name", "name_fr")
# bm25 weights per FTS column: names count most, then tags, then descriptions.
BM25_WEIGHTS = "10.0, 10.0, 3.0, 3.0, 5.0, 2.0"



@dataclass(frozen=True)
class Candidate:
    listing_id: int
    relevance: float  # larger is better; only comparable within one query


def _values(listing: Listing, *, folded: bool) -> dict[str, str]:
    return {column: (fold if folded else str)(getattr(listing, column) or "") for column in FTS_COLUMNS}


class SqliteIndex:
    """The FTS5 table `store_fts` (created by migration 0004) indexes store_listings as
    external content: the text lives once, in the listing. FTS5's tokenizer folds case and accents itself, so it indexes the stored text as is
    (and `INSERT INTO store_fts(store_fts) VALUES('rebuild')` rebuilds the same index)."""

    def add(self, session: Session, listing: Listing) -> None:
        columns = ", ".join(FTS_COLUMNS)
        values = ", ".join(f":{c}" for c in FTS_COLUMNS)
        session.execute(
            text(f"INSERT INTO store_fts(rowid, {columns}) VALUES (:rowid, {values})"),
            {"rowid": listing.search_key, **_values(listing, folded=False)},
        )

    def remove(self, session: Session, listing: Listing) -> None:
        """Remove with the values that were indexed (FTS5 external content needs them)."""
        columns = ", ".join(FTS_COLUMNS)
        values = ", ".join(f":{c}" for c in FTS_COLUMNS)
        session.execute(
            text(f"INSERT INTO store_fts(store_fts, rowid, {columns}) VALUES ('delete', :rowid, {values})"),
            {"rowid": listing.search_key, **_values(listing, folded=False)},
        )

    def candidates(self, session: Session, query: Query, *, limit: int, names_only: bool = False) -> list[Candidate]:
        match = fts5_match(query, NAME_COLUMNS if names_only else None)
        rows = session.execute(
            text(
                f"SELECT l.id, -bm25(store_fts, {BM25_WEIGHTS}) FROM store_fts "
                "JOIN store_listings l ON l.search_key = store_fts.rowid "
                "WHERE store_fts MATCH :match ORDER BY store_fts.rowid LIMIT :limit"
            ),
            {"match": match, "limit": limit},
        )
        return [Candidate(listing_id, relevance) for listing_id, relevance in rows]


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
        "setweight(to_tsvector('simple', :builder_name), 'D')"
    )
    NAME_VECTOR = "to_tsvector('simple', :name || ' ' || :name_fr)"

    def add(self, session: Session, listing: Listing) -> None:
        session.execute(
            text(f"UPDATE store_listings SET search_vector = {self.VECTOR}, name_vector = {self.NAME_VECTOR} WHERE id = :id"),
            {"id": listing.id, **_values(listing, folded=True)},
        )

    def remove(self, session: Session, listing: Listing) -> None:
        pass  # the vectors live on the listing row, which the caller deletes or rewrites

    def candidates(self, session: Session, query: Query, *, limit: int, names_only: bool = False) -> list[Candidate]:
        # Relevance is always ranked on the whole document, whichever vector filtered it.
        full, params = self._tsquery(query, ("english", "french", "simple"))
        matcher, column = (self._tsquery(query, ("simple",))[0], "name_vector") if names_only else (full, "search_vector")
        rows = session.execute(
            text(
                f"SELECT id, ts_rank_cd('{{0.1, 0.2, 0.5, 1.0}}', search_vector, {full}) FROM store_listings "
                f"WHERE {column} @@ {matcher} ORDER BY search_key LIMIT :limit"
            ),
            {**params, "limit": limit},
        )
        return [Candidate(listing_id, relevance) for listing_id, relevance in rows]

    @staticmethod
    def _tsquery(query: Query, configs: tuple[str, ...]) -> tuple[str, dict[str, str]]:
        parts, params = [], {}
        for i, (term, prefix) in enumerate(tsquery_terms(query)):
            # Terms are \w+ words (store.query), bound as parameters; ':*' makes a prefix match.
            params[f"t{i}"] = term + (":*" if prefix else "")
            alternatives = " || ".join(f"to_tsquery('{config}', :t{i})" for config in configs)
            parts.append(f"({alternatives})")
        return "(" + " && ".join(parts) + ")", params


def index_for(session: Session) -> SqliteIndex | PostgresIndex:
    return PostgresIndex() if session.get_bind().dialect.name == "postgresql" else SqliteIndex()
