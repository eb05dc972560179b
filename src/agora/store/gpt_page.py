"""Everything a GPT's page shows, read for one viewer: the service behind /g/{id}.

A visitor's page is four statements: the GPT with its published content, builder and
category; its listing with both shelves; a page of reviews; the verified badges. Each
statement costs its round trip and ORM work, which at 3 M GPTs is most of the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.gpts import access, listing
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from agora.store import builders, details, reviews
from agora.store.models import Category, Listing, Review

if TYPE_CHECKING:  # store.caches imports store.browse, which imports this module
    from agora.store.caches import StoreCaches


@dataclass(frozen=True)
class GptPage:
    gpt: Gpt
    content: GptContent | None  # None: not published yet (only its editors get this far)
    builder: User
    category: Category | None
    can_edit: bool
    instructions: str = ""  # empty when hidden from this viewer
    forked_from_name: str | None = None
    store_listing: Listing | None = None  # None when the GPT is not in the store
    more_by_builder: list[Listing] = field(default_factory=list)
    similar: list[Listing] = field(default_factory=list)
    reviews: list[tuple[Review, User]] = field(default_factory=list)
    next_reviews: str | None = None
    my_review: Review | None = None
    may_rate: bool = False
    verified: set[int] = field(default_factory=set)  # builders with a verified domain, among those shown


def read(session: Session, gpt_id: str, viewer: User | None, *, language: str, reviews_cursor: str | None = None,
         caches: StoreCaches | None = None) -> GptPage:
    """The page of `gpt_id` as `viewer` may see it (NotFound for anyone it is not shared with); `caches`: the application's."""
    view = gpts.published_view(session, gpt_id, viewer)
    gpt, content = view.gpt, view.content
    can_edit = access.can(session, gpt, viewer, "edit")
    if content is None:
        return GptPage(gpt, None, view.builder, view.category, can_edit)
    shows_instructions = not content.hide_instructions or can_edit  # hidden instructions: editors only
    credit = listing.credits(session, {gpt.forked_from_id}, viewer) if gpt.forked_from_id else {}
    around = details.neighbours(session, gpt.id, builder_id=gpt.owner_id, category_id=gpt.category_id,
                                tags=" ".join(content.tags).split(), cache=caches.neighbourhoods if caches else None)  # split as the listing holds them
    review_rows, next_reviews = reviews.page(session, gpt.id, cursor=reviews_cursor)
    mine = reviews.review_of(session, viewer, gpt.id) if viewer else None
    may_rate = viewer is not None and viewer.id != gpt.owner_id and (mine is not None or reviews.has_chatted(session, viewer, gpt.id))
    shelves = [*around.more_by_builder, *around.similar]
    return GptPage(
        gpt=gpt,
        content=content,
        builder=view.builder,
        category=view.category,
        can_edit=can_edit,
        instructions=str(content.text("instructions", language)) if shows_instructions else "",
        forked_from_name=credit.get(gpt.forked_from_id or ""),
        store_listing=around.listing,
        more_by_builder=around.more_by_builder,
        similar=around.similar,
        reviews=review_rows,
        next_reviews=next_reviews,
        my_review=mine,
        may_rate=may_rate,
        verified=builders.verified_builders(session, {gpt.owner_id} | {listing.builder_id for listing in shelves}),
    )
