"""Keyword search over chunks with the databases' full-text machinery, the same words on both.

A chunk's `terms` are its words folded (lower case, no accents) plus each word's English and
French Snowball stems, so "translations" finds "translation" and "traductions" "traduction".
SQLite indexes them in the FTS5 table knowledge_fts (rowid = the chunk's id); PostgreSQL in a
GIN index over `to_tsvector('simple', terms)`. A query matches chunks holding ANY of its terms
(questions are sentences: requiring every word would find nothing), ranked by bm25 on SQLite
and ts_rank on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import snowballstemmer
from sqlalchemy import text
from sqlalchemy.orm import Session

from agora.text import fold

WORD = re.compile(r"\w+")
MAX_QUERY_TERMS = 40
_STEMMERS = (snowballstemmer.stemmer("english"), snowballstemmer.stemmer("french"))
# Words too common to say what a passage is about, in both languages.
_COMMON = (
    "the a an and or of to in on for is are was were be been it its this that these those with as at by from what which who "
    "how when where why do does did can could should would will i you he she we they my your our their not no le la les un "
    "une des de du et ou est sont en dans sur pour par au aux ce cet cette ces qui que quoi quel quelle quels quelles comment "
    "quand ou pourquoi il elle nous vous ils elles je tu mon ton son ma ta sa mes tes ses leur leurs pas ne se sa d l s qu n "
    "j y "
)
STOP = frozenset(_COMMON.split())


@lru_cache(maxsize=65536)
def _forms(word: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((word, *(stemmer.stemWord(word) for stemmer in _STEMMERS))))


def terms(passage: str, *, drop_common: bool = False) -> list[str]:
    """The folded words and their stems, in order (duplicates kept: they count in ranking)."""
    words = WORD.findall(fold(passage))
    return [form for word in words if not (drop_common and word in STOP) for form in _forms(word[:60])]


def index(session: Session, rows: Sequence[tuple[int, str]]) -> None:
    """Add (chunk id, terms) to SQLite's FTS5 table; PostgreSQL's index follows the column by itself."""
    if rows and session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO knowledge_fts (rowid, terms) VALUES (:id, :terms)"), [{"id": i, "terms": t} for i, t in rows])


def forget(session: Session, document_id: int) -> None:
    """Drop a document's chunks from SQLite's FTS5 table (before the chunks themselves go)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM knowledge_fts WHERE rowid IN (SELECT id FROM knowledge_chunks WHERE document_id = :d)"), {"d": document_id})


def search(session: Session, query: str, document_ids: Sequence[int], *, limit: int) -> list[int]:
    """Chunk ids of the documents holding any of the query's words, best first."""
    words = list(dict.fromkeys(terms(query, drop_common=True)))[:MAX_QUERY_TERMS]
    if not words or not document_ids:
        return []
    ids = ", ".join(str(int(i)) for i in document_ids)  # integers from the database, never the request
    if session.get_bind().dialect.name == "postgresql":
        statement = text(
            "SELECT c.id FROM knowledge_chunks c, to_tsquery('simple', :q) q "
            f"WHERE c.document_id IN ({ids}) AND to_tsvector('simple', c.terms) @@ q "
            "ORDER BY ts_rank(to_tsvector('simple', c.terms), q) DESC, c.id LIMIT :limit"
        )
        found = session.execute(statement, {"q": " | ".join(words), "limit": limit})
    else:
        statement = text(
            "SELECT f.rowid FROM knowledge_fts f JOIN knowledge_chunks c ON c.id = f.rowid "
            f"WHERE knowledge_fts MATCH :q AND c.document_id IN ({ids}) ORDER BY bm25(knowledge_fts), f.rowid LIMIT :limit"
        )
        found = session.execute(statement, {"q": " OR ".join(f'"{word}"' for word in words), "limit": limit})
    return [row[0] for row in found]
