"""What a GPT's store page shows besides the GPT itself: more by its builder, similar GPTs."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from heapq import merge
from itertools import islice

from sqlalchemy import bindparam, select, union_all
from sqlalchemy.orm import Session

from agora.cache import RefreshingCache
from agora.store.models import Listing

log = logging.getLogger(__name__)
SIMILAR = 6
NEIGHBOURHOOD = 500  # the category's most trending GPTs that "similar" picks from
MAX_TAGS = 8
# A category's neighbourhood (its most trending GPTs and their tags) is shared by every GPT
# page of the category, so it is read per worker and category every 30 seconds by a
# background thread (keep_fresh) while pages go on using the previous one (reading it cost
# a page ~15 ms at 3 M GPTs), and never served older than a minute. The shelf may therefore
# lag trending and new publications by up to a minute; the GPTs on it are read fresh by id,
# so one that left the store is never shown.
NEIGHBOURHOOD_SECONDS = 30
NEIGHBOURHOOD_MAX_AGE = 60


@dataclass(frozen=True)
class Neighbours:
    listing: Listing | None
    more_by_builder: list[Listing]
    similar: list[Listing]


@dataclass(frozen=True)
class Neighbourhood:
    """A category's most trending listings: their ids in that order, and for each tag the
    places (in that order) of the listings that carry it."""

    ids: list[int]
    places_by_tag: dict[str, list[int]]

    def similar_ids(self, tags: list[str], *, count: int, exclude: int | None = None) -> list[int]:
        """The `count` most trending ids sharing a tag, then the most trending of the rest.
        A page of the category costs a few list merges, not a pass over its 500 listings."""
        places = merge(*(self.places_by_tag.get(tag, ()) for tag in set(tags[:MAX_TAGS])))
        chosen = list(islice(dict.fromkeys(i for i in (self.ids[p] for p in places) if i != exclude), count))
        if len(chosen) < count:
            taken = set(chosen)
            chosen += islice((i for i in self.ids if i != exclude and i not in taken), count - len(chosen))
        return chosen


def neighbours(session: Session, gpt_id: str, *, builder_id: int, category_id: int | None, tags: list[str],
               cache: RefreshingCache | None) -> Neighbours:
    """The GPT's listing and its two shelves, in one statement: the page knows the GPT's
    builder, category and tags, which are what its listing holds (store.listings.sync).
    A GPT that is not in the store (link-shared, private, ...) has no shelves."""
    # One more similar id than shown: the GPT itself may be among them (its id is unknown yet).
    similar_ids = _neighbourhood(session, category_id, cache).similar_ids(tags, count=SIMILAR + 1) if category_id else []
    rows = session.scalars(_NEIGHBOURS, {"gpt_id": gpt_id, "builder_id": builder_id, "similar_ids": similar_ids}).all()
    listing = next((row for row in rows if row.gpt_id == gpt_id), None)
    if listing is None:
        return Neighbours(None, [], [])
    # The builder's six busiest are exactly the six busiest of the builder's rows read: any
    # other row of theirs came in as a similar GPT, and is less used than those six.
    mine = sorted((r for r in rows if r.builder_id == builder_id and r is not listing),
                  key=lambda r: (r.conversations, r.id), reverse=True)[:SIMILAR]
    by_id = {row.id: row for row in rows}
    similar = [by_id[i] for i in similar_ids if i in by_id and i != listing.id][:SIMILAR]
    return Neighbours(listing, mine, similar)


# Built once: constructing it cost more than running it (SQLAlchemy, at a page's pace). A
# UNION of the three id lists, not an OR of three conditions: PostgreSQL planned the OR as
# a pass over every listing (2 s at 3 M GPTs).
_BUSIEST_BY_BUILDER = (
    select(Listing.id)
    .where(Listing.builder_id == bindparam("builder_id"), Listing.gpt_id != bindparam("gpt_id"))
    .order_by(Listing.conversations.desc(), Listing.id.desc())
    .limit(SIMILAR)
    .subquery()
)
_NEIGHBOURS = select(Listing).where(
    Listing.id.in_(
        union_all(
            select(Listing.id).where(Listing.gpt_id == bindparam("gpt_id")),
            select(_BUSIEST_BY_BUILDER.c.id),
            select(Listing.id).where(Listing.id.in_(bindparam("similar_ids", expanding=True))),
        )
    )
)


def similar(session: Session, listing: Listing, cache: RefreshingCache | None) -> list[Listing]:
    """The category's most trending GPTs that share a tag with this one, then its trending ones.

    Only the category's NEIGHBOURHOOD most trending GPTs are looked at (an index range, cached
    for a minute), so the shelf costs the same at 3 million GPTs as at 300, and it shows GPTs
    people actually use. The choice is made in Python over that cached list; only the six
    chosen listings are read.
    """
    if listing.category_id is None:
        return []
    ids = _neighbourhood(session, listing.category_id, cache).similar_ids(
        listing.tags.split(), count=SIMILAR, exclude=listing.id
    )
    by_id = {row.id: row for row in session.scalars(select(Listing).where(Listing.id.in_(ids)))} if ids else {}
    return [by_id[i] for i in ids if i in by_id]


def _neighbourhood(session: Session, category_id: int, cache: RefreshingCache | None) -> Neighbourhood:
    """The category's most trending listings (one extra, so excluding the GPT being shown
    still leaves NEIGHBOURHOOD), as cached; read on the request's session if not there."""
    if cache is None:
        return _read_neighbourhood(session, category_id)
    return cache.read(category_id, session, lambda own: _read_neighbourhood(own, category_id))


def _read_neighbourhood(session: Session, category_id: int) -> Neighbourhood:
    rows = session.execute(
        select(Listing.id, Listing.tags)
        .where(Listing.category_id == category_id)
        .order_by(Listing.trending.desc(), Listing.id.desc())
        .limit(NEIGHBOURHOOD + 1)
    ).all()
    places: dict[str, list[int]] = {}
    for place, (_, tags) in enumerate(rows):
        for tag in set(tags.split()):
            places.setdefault(tag, []).append(place)
    return Neighbourhood([i for i, _ in rows], places)


def warm_up(database, cache: RefreshingCache) -> None:
    """Read every visible category's neighbourhood into the cache, one after the other."""
    from agora.store.service import visible_categories

    with database.session() as session:  # closed before reading: no lock held meanwhile
        category_ids = [category.id for category in visible_categories(session)]
    for category_id in category_ids:
        cache.refresh_read_now(category_id, database.engine, lambda own, category_id=category_id: _read_neighbourhood(own, category_id))


def keep_fresh(database, cache: RefreshingCache, stop: threading.Event) -> None:
    """Warm every category's neighbourhood up as the worker starts, then again every
    NEIGHBOURHOOD_SECONDS until `stop` is set (run by the app on a thread of its own).

    Pages then never wait for one: without this, the first page of a category nobody opened
    for a minute would read it itself (~15 ms at 3 M GPTs), and a new worker's first page
    of each category too."""
    while True:
        try:
            warm_up(database, cache)
        except Exception:  # pages read what is missing; the next round retries
            log.warning("could not read the categories' neighbourhoods ahead", exc_info=True)
        if stop.wait(NEIGHBOURHOOD_SECONDS):
            return
