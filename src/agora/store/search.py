"""Store search and type-ahead suggestions.

Search reads a pool of candidates from the index (the most used matches first, plus the
best name matches), blends text relevance with quality and popularity (docs/ranking.md),
and pages through that ranking. Only listings are searched, so only public GPTs appear.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.store import ranking
from agora.store.models import Category, Listing
from agora.store.query import parse
from agora.store.search_index import index_for

POOL = 600  # candidates read per query: enough for 30 pages of 20
NAME_POOL = 200
SUGGESTIONS = 8
SORTS = ("relevance", "trending", "top_rated", "most_used", "newest")


@dataclass(frozen=True)
class Results:
    listings: list[Listing]
    next_cursor: str | None


def search(
    session: Session,
    text: str,
    *,
    language: str | None = None,
    category: Category | None = None,
    sort: str = "relevance",
    cursor: str | None = None,
    limit: int = 20,
) -> Results:
    if sort not in SORTS:
        raise InvalidInput(_("Unknown sort %(sort)r; use one of: %(sorts)s.", sort=sort, sorts=", ".join(SORTS)), field="sort")
    offset = _offset(cursor)
    query = parse(text)
    if query.empty:
        return Results([], None)
    index = index_for(session)
    pool = max(POOL, offset + limit + 1)
    best: dict[int, float] = {}
    # Names matching every word join the pool whatever their popularity: the best hits for a
    # common word can be too little used to be among its most used matches.
    names = index.candidates(session, query, limit=NAME_POOL, names_only=True)
    for candidate in [*index.candidates(session, query, limit=pool), *names]:
        best[candidate.listing_id] = max(best.get(candidate.listing_id, 0.0), candidate.relevance)
    listings = _load(session, best, language=language, category=category)
    ranked = _rank(listings, best, sort)
    page = ranked[offset : offset + limit]
    more = len(ranked) > offset + limit
    return Results(page, _encode(offset + limit) if more else None)


def suggest(session: Session, text: str) -> list[Listing]:
    """Up to 8 GPT names for what has been typed so far, the most used first."""
    query = parse(text, prefix_last=True)
    if query.empty:
        return []
    candidates = index_for(session).candidates(session, query, limit=SUGGESTIONS, names_only=True)
    by_id = {listing.id: listing for listing in session.scalars(select(Listing).where(Listing.id.in_([c.listing_id for c in candidates])))}
    return [by_id[c.listing_id] for c in candidates if c.listing_id in by_id]


def _load(session: Session, relevance: dict[int, float], *, language: str | None, category: Category | None) -> list[Listing]:
    if not relevance:
        return []
    statement = select(Listing).where(Listing.id.in_(list(relevance)))
    if category is not None:
        statement = statement.where(Listing.category_id == category.id)
    if language == "fr":
        statement = statement.where(Listing.has_fr.is_(True))
    elif language == "en":
        statement = statement.where(Listing.has_en.is_(True))
    return list(session.scalars(statement))


def _rank(listings: list[Listing], relevance: dict[int, float], sort: str) -> list[Listing]:
    if sort == "relevance":
        top = max((relevance[listing.id] for listing in listings), default=1.0) or 1.0

        def key(listing: Listing):
            score = ranking.blend(
                relevance[listing.id] / top,
                rating_score=listing.rating_score,
                rating_count=listing.rating_count,
                conversations=listing.conversations,
            )
            return (-score, listing.id)
    else:
        column = {"trending": "trending", "top_rated": "rating_score", "most_used": "conversations", "newest": "published_at"}[sort]

        def key(listing: Listing):
            value = getattr(listing, column)
            return (-(value.timestamp() if sort == "newest" else value), listing.id)

    return sorted(listings, key=key)


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = int(data["o"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidInput(_("This cursor is not one Agora gave; start again without it."), field="cursor") from None
    if not 0 <= offset <= 10_000:
        raise InvalidInput(_("This cursor is not one Agora gave; start again without it."), field="cursor")
    return offset
