"""Store search and type-ahead suggestions.

Search reads a pool of candidates from the index (the most used matches first, plus the
best name matches), blends text relevance with quality and popularity (docs/ranking.md),
and pages through that ranking. Only listings are searched, so only public GPTs appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.store import cursors, ranking, relevance, typeahead
from agora.store.candidates import Candidate
from agora.store.models import Category, Listing
from agora.store.query import parse
from agora.store.search_index import index_for

if TYPE_CHECKING:  # store.caches imports store.browse, which imports this module
    from agora.store.caches import StoreCaches

# Candidates read per query: enough for 10 pages of 20 (a deeper page reads more). Every
# candidate is a row read and ranked, which is what a query costs once the index has
# matched: at 3 M GPTs a pool of 600 cost PostgreSQL ~20 ms in row reads alone.
POOL = 200
NAME_POOL = 100
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
    caches: StoreCaches | None = None,
) -> Results:
    """A page of results; `caches` are the application's (app.state.caches.store), None to read everything now."""
    if sort not in SORTS:
        raise InvalidInput(_("Unknown sort %(sort)r; use one of: %(sorts)s.", sort=sort, sorts=", ".join(SORTS)), field="sort")
    offset = _offset(cursor)
    query = parse(text)
    if query.empty:
        return Results([], None)
    index = index_for(session, caches.statistics if caches else None)
    pool = max(POOL, offset + limit + 1)
    category_id = category.id if category else None
    matches = index.candidates(session, query, limit=pool, category_id=category_id, language=language)
    # Names holding every word join the pool whatever their popularity: the best hits for a
    # common word can be too little used to be among its most used matches. When the pool
    # is not full it already holds every match, names included: reading them again would
    # double the cost of the queries that cost most (several words that rarely meet).
    if len(matches) >= pool:
        matches += index.candidates(session, query, limit=NAME_POOL, names_only=True, category_id=category_id, language=language)
    unique = list({candidate.listing_id: candidate for candidate in matches}.values())
    ranked = _rank(unique, sort, query.terms)
    page = _listings(session, ranked[offset : offset + limit])
    more = len(ranked) > offset + limit
    return Results(page, _encode(offset + limit) if more else None)


def suggest(session: Session, text: str, caches: StoreCaches | None = None) -> list[Listing]:
    """Up to 8 GPT names for what has been typed so far, the most used first.

    The busiest GPTs' names in memory answer almost every prefix (store.typeahead); when
    they hold fewer than 8 matches, the full index answers instead (it alone is complete).
    """
    query = parse(text, prefix_last=True)
    if query.empty:
        return []
    # A few more than needed: one may have left the store since the names were read.
    busiest = _listings(session, typeahead.busiest_names(session, caches.names if caches else None).match(query, SUGGESTIONS + 4))
    if len(busiest) >= SUGGESTIONS:
        return busiest[:SUGGESTIONS]
    return _listings(session, index_for(session, caches.statistics if caches else None).suggestions(session, query, limit=SUGGESTIONS))


def _rank(candidates: list[Candidate], sort: str, terms: tuple[str, ...]) -> list[int]:
    """Listing ids, best first. Ties fall back to the id so pages are stable."""
    if sort == "relevance":
        scores = relevance.Scorer(terms).scores([c.texts for c in candidates])
        top = max(scores, default=1.0) or 1.0
        blend = ranking.blend
        scored = [
            (blend(score / top, rating_score=c.rating_score, rating_count=c.rating_count,
                   conversations=c.conversations), c.listing_id)
            for score, c in zip(scores, candidates, strict=True)
        ]
    else:
        field = {"trending": "trending", "top_rated": "rating_score", "most_used": "conversations", "newest": "published_at"}[sort]
        scored = [(getattr(c, field), c.listing_id) for c in candidates]
    scored.sort(reverse=True)
    return [listing_id for _, listing_id in scored]


def _listings(session: Session, ids: list[int]) -> list[Listing]:
    by_id = {listing.id: listing for listing in session.scalars(_BY_IDS, {"ids": ids})}
    return [by_id[i] for i in ids if i in by_id]


# Built once: every search and suggestion reads its page this way.
_BY_IDS = select(Listing).where(Listing.id.in_(bindparam("ids", expanding=True)))


def _encode(offset: int) -> str:
    return cursors.encode({"o": offset})


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = int(cursors.decode(cursor)["o"])
    except (KeyError, TypeError, ValueError):
        raise cursors.refused() from None
    if not 0 <= offset <= 10_000:
        raise cursors.refused()
    return offset
