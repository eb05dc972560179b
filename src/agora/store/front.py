"""The store front: this week's picks (the first as the hero), what is trending, and each
category's Top list (its most trending GPTs, numbered), with the categories as tabs.

Computed at most once a minute per worker (a TTL cache, store.caches), so a busy front page
costs a handful of indexed queries a minute; never staler than 60 s, and a GPT that is
published or leaves the store shows at once in this worker (gpt.changed clears it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from agora.cache import TtlCache
from agora.store import browse, featured
from agora.store.models import Category, Listing
from agora.store.service import visible_categories


@dataclass(frozen=True)
class Shelf:
    category: Category
    listings: list[Listing]
    count: int


# Each category's Top list on the front: two rows of three on a desktop, short on a phone.
TOP_SIZE = 6


@dataclass(frozen=True)
class Front:
    featured: list[Listing]
    trending: list[Listing]
    shelves: list[Shelf]
    total: int

    @property
    def hero(self) -> Listing | None:
        """The first featured pick, shown large at the top."""
        return self.featured[0] if self.featured else None

    @property
    def categories(self) -> list[Category]:
        """The tabs: every visible category that has GPTs, in the admin's order."""
        return [shelf.category for shelf in self.shelves]


def front(session: Session, cache: TtlCache | None) -> Front:
    """The front, from `cache` (the application's: app.state.caches.store.front) when given."""
    if cache is None:
        return _compute(session)
    return cache.get("front", lambda: _compute(session))


def _compute(session: Session) -> Front:
    counts = browse.counts_by_category(session)
    year, week = featured.current_week()
    shelves = [
        Shelf(category, browse.top(session, sort="trending", category=category, limit=TOP_SIZE), counts[category.id])
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
