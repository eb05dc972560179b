"""The full-text index behind store search, one implementation per database (SQLite's
here, PostgreSQL's in store/search_postgres.py).

Both return *candidates*: matching listings in search-key order (most used first), so a
query for a word in a million GPTs reads only the first few hundred matches. Relevance,
quality and popularity are then blended over those candidates (store.search).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from agora.cache import RefreshingCache
from agora.store.candidates import RANK_COLUMNS, Candidate, candidate, filters
from agora.store.models import Listing
from agora.store.query import Query, fts5_match
from agora.store.search_postgres import PostgresIndex

FTS_COLUMNS = ("name", "name_fr", "description", "description_fr", "tags", "builder_name")


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
        return [candidate(row) for row in rows]

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


def index_for(session: Session, statistics: RefreshingCache | None = None) -> SqliteIndex | PostgresIndex:
    """The index of the session's database; PostgreSQL's plans searches with `statistics` (the store's cache of them)."""
    return PostgresIndex(statistics) if session.get_bind().dialect.name == "postgresql" else SqliteIndex()
