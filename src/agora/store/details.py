"""What a GPT's store page shows besides the GPT itself: more by its builder, similar GPTs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.store import browse
from agora.store.models import Listing
from agora.store.ttl_cache import TtlCache

SIMILAR = 6
NEIGHBOURHOOD = 500  # the category's most trending GPTs that "similar" picks from
MAX_TAGS = 8
# A category's neighbourhood (ids and tags of its most trending GPTs) is shared by every GPT
# page of the category, so it is read once a minute per worker and category rather than on
# each page. The shelf may therefore lag trending and new publications by up to a minute;
# the GPTs on it are read fresh by id, so one that left the store is never shown.
NEIGHBOURHOOD_SECONDS = 60
_neighbourhoods = TtlCache(NEIGHBOURHOOD_SECONDS)


@dataclass(frozen=True)
class Neighbours:
    listing: Listing | None
    more_by_builder: list[Listing]
    similar: list[Listing]


def neighbours(session: Session, gpt_id: str) -> Neighbours:
    listing = session.scalar(select(Listing).where(Listing.gpt_id == gpt_id))
    if listing is None:  # not in the store (link-shared, private, ...): no shelves to show
        return Neighbours(None, [], [])
    more = browse.by_builder(session, listing.builder_id, exclude=gpt_id, limit=SIMILAR)
    return Neighbours(listing, more, similar(session, listing))


def similar(session: Session, listing: Listing) -> list[Listing]:
    """The category's most trending GPTs that share a tag with this one, then its trending ones.

    Only the category's NEIGHBOURHOOD most trending GPTs are looked at (an index range, cached
    for a minute), so the shelf costs the same at 3 million GPTs as at 300, and it shows GPTs
    people actually use. The choice is made in Python over that cached list; only the six
    chosen listings are read.
    """
    if listing.category_id is None:
        return []
    wanted = set(listing.tags.split()[:MAX_TAGS])
    around = [(i, tags) for i, tags in _neighbourhood(session, listing.category_id) if i != listing.id]
    ids = [i for i, tags in around if wanted & tags][:SIMILAR] if wanted else []
    ids += [i for i, _ in around if i not in ids][: SIMILAR - len(ids)]
    by_id = {l.id: l for l in session.scalars(select(Listing).where(Listing.id.in_(ids)))} if ids else {}
    return [by_id[i] for i in ids if i in by_id]


def _neighbourhood(session: Session, category_id: int) -> list[tuple[int, frozenset[str]]]:
    """(id, tags) of the category's most trending listings, most trending first (one
    extra, so excluding the GPT being shown still leaves NEIGHBOURHOOD)."""

    def read() -> list[tuple[int, frozenset[str]]]:
        rows = session.execute(
            select(Listing.id, Listing.tags)
            .where(Listing.category_id == category_id)
            .order_by(Listing.trending.desc(), Listing.id.desc())
            .limit(NEIGHBOURHOOD + 1)
        )
        return [(i, frozenset(tags.split())) for i, tags in rows]

    return _neighbourhoods.get((str(session.get_bind().url), category_id), read)


def forget() -> None:
    """Drop the cached neighbourhoods (tests)."""
    _neighbourhoods.clear()
