"""What a GPT's store page shows besides the GPT itself: more by its builder, similar GPTs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.store import browse
from agora.store import search as store_search
from agora.store.models import Category, Listing

SIMILAR = 6


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
    """GPTs of the same category sharing its first tag, else the category's trending ones."""
    found: list[Listing] = []
    tags = listing.tags.split()
    if tags:
        category = session.get(Category, listing.category_id) if listing.category_id else None
        results = store_search.search(session, tags[0].replace("-", " "), category=category, limit=SIMILAR + 1)
        found = [l for l in results.listings if l.gpt_id != listing.gpt_id]
    if len(found) < SIMILAR and listing.category_id is not None:
        seen = {l.id for l in found} | {listing.id}
        statement = (
            select(Listing)
            .where(Listing.category_id == listing.category_id, Listing.id.not_in(seen))
            .order_by(Listing.trending.desc(), Listing.id.desc())
            .limit(SIMILAR - len(found))
        )
        found += list(session.scalars(statement))
    return found[:SIMILAR]
