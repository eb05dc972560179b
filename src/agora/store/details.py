"""What a GPT's store page shows besides the GPT itself: more by its builder, similar GPTs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import literal, or_, select
from sqlalchemy.orm import Session

from agora.store import browse
from agora.store.models import Listing

SIMILAR = 6
NEIGHBOURHOOD = 2000  # the category's most trending GPTs that "similar" picks from
MAX_TAGS = 8


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

    Only the category's NEIGHBOURHOOD most trending GPTs are looked at (an index range), so the
    shelf costs the same at 3 million GPTs as at 300, and it shows GPTs people actually use.
    """
    if listing.category_id is None:
        return []
    neighbourhood = (
        select(Listing.id, Listing.tags, Listing.trending)
        .where(Listing.category_id == listing.category_id, Listing.id != listing.id)
        .order_by(Listing.trending.desc(), Listing.id.desc())
        .limit(NEIGHBOURHOOD)
        .subquery()
    )
    padded = literal(" ") + neighbourhood.c.tags + literal(" ")
    shared = [padded.like(f"% {_escape(tag)} %", escape="\\") for tag in listing.tags.split()[:MAX_TAGS]]
    ranked = neighbourhood.c.trending.desc(), neighbourhood.c.id.desc()
    ids = list(session.scalars(select(neighbourhood.c.id).where(or_(*shared)).order_by(*ranked).limit(SIMILAR))) if shared else []
    if len(ids) < SIMILAR:
        ids += [i for i in session.scalars(select(neighbourhood.c.id).order_by(*ranked).limit(SIMILAR)) if i not in ids]
    by_id = {l.id: l for l in session.scalars(select(Listing).where(Listing.id.in_(ids[:SIMILAR])))}
    return [by_id[i] for i in ids[:SIMILAR] if i in by_id]


def _escape(tag: str) -> str:
    return tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
