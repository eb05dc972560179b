"""The store front: this week's picks, what is trending, and the top of each category.

Computed at most once a minute per worker and language (a TTL cache), so a busy front
page costs a handful of indexed queries a minute, and it is never staler than 60 s.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from agora.store import browse, featured
from agora.store.models import Category, Listing
from agora.store.service import visible_categories
from agora.store.ttl_cache import TtlCache

_cache = TtlCache(browse.FRONT_CACHE_SECONDS)


@dataclass(frozen=True)
class Shelf:
    category: Category
    listings: list[Listing]
    count: int


@dataclass(frozen=True)
class Front:
    featured: list[Listing]
    trending: list[Listing]
    shelves: list[Shelf]
    total: int


def front(session: Session) -> Front:
    return _cache.get("front", lambda: _compute(session))


def _compute(session: Session) -> Front:
    counts = browse.counts_by_category(session)
    year, week = featured.current_week()
    shelves = [
        Shelf(category, browse.top(session, sort="most_used", category=category), counts[category.id])
        for category in visible_categories(session)
        if counts.get(category.id)
    ]
    result = Front(
        featured=featured.picks(session, year, week),
        # Only GPTs with recent activity: on a new store every score is 0 and the shelf would be arbitrary.
        trending=[listing for listing in browse.top(session, sort="trending", limit=browse.SHELF_SIZE) if listing.trending > 0],
        shelves=shelves,
        total=browse.total(session, counts),
    )
    # Cached across requests: detach everything from this request's session.
    cached = [*result.featured, *result.trending, *(o for s in shelves for o in (s.category, *s.listings))]
    for obj in {id(o): o for o in cached}.values():
        session.expunge(obj)
    return result


def forget() -> None:
    """Drop the cached front (tests; an admin changing this week's picks)."""
    _cache.clear()
