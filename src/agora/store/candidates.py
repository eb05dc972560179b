"""What a search index returns for each match: the listing's id and what ranking needs."""

from __future__ import annotations

from dataclasses import dataclass

from agora.store import relevance


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


def candidate(row) -> Candidate:
    listing_id, rating_score, rating_count, conversations, trending, published_at, *texts = row
    return Candidate(listing_id, rating_score, rating_count, conversations, trending, published_at, tuple(texts))


def filters(category_id: int | None, language: str | None) -> tuple[str, dict]:
    sql, params = "", {}
    if category_id is not None:
        sql += " AND l.category_id = :category_id"
        params["category_id"] = category_id
    if language in ("en", "fr"):
        sql += f" AND l.has_{language}"
    return sql, params
