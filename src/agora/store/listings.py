"""Keeping the store's listings in step with GPTs.

`sync` is called by the builder whenever something the store shows may have changed
(publish, rollback, visibility change, delete, restore). It inserts, rewrites or removes
the GPT's listing and its search-index entry in the caller's transaction, so the index is
never ahead of or behind the data.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agora import events
from agora.accounts.models import User
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt, GptVersion
from agora.store import ranking, state
from agora.store.models import Category, Listing
from agora.store.search_index import index_for


def is_listed(gpt: Gpt) -> bool:
    """The one rule for appearing in the store: public, published, not deleted, and listed by the review (agora.moderation)."""
    return gpt.visibility == "public" and gpt.published_version is not None and gpt.deleted_at is None and gpt.review_state == "listed"


def sync(session: Session, gpt: Gpt) -> Listing | None:
    listing = session.scalar(select(Listing).where(Listing.gpt_id == gpt.id))
    # Names and the front change here: this worker's caches forget them once this commits (gpt.changed),
    # so the next request shows the GPT as it now is; other workers within 60 s.
    events.publish_after_commit(session, events.GptChanged(gpt.id))
    index = index_for(session)
    was_in = listing.category_id if listing is not None else None
    if listing is not None:
        index.remove(session, listing)
    if not is_listed(gpt):
        if listing is not None:
            _count(session, was_in, -1)
            session.delete(listing)
            session.flush()
        return None
    content = GptContent.model_validate(
        session.scalar(
            select(GptVersion.content).where(GptVersion.gpt_id == gpt.id, GptVersion.number == gpt.published_version)
        )
    )
    if listing is None:
        listing = Listing(gpt_id=gpt.id, conversations=0, rating_sum=0, rating_count=0, trending=0.0)
    with session.no_autoflush:  # a half-filled new listing must not be flushed by a lookup
        _copy_texts(session, listing, gpt, content)
    if listing.id is None or listing.category_id != was_in:
        _count(session, was_in if listing.id is not None else None, -1)
        _count(session, listing.category_id, +1)
    session.add(listing)
    session.flush()  # the listing id is part of its search key
    listing.search_key = ranking.search_key(listing.id, listing.conversations)
    session.flush()
    index.add(session, listing)
    return listing


def _count(session: Session, category_id: int | None, change: int) -> None:
    """Move a category's listing counter in the caller's transaction (an atomic increment,
    so concurrent publishes in one category never lose a count)."""
    if category_id is not None:
        session.execute(
            update(Category).where(Category.id == category_id).values(listing_count=Category.listing_count + change)
        )


def _copy_texts(session: Session, listing: Listing, gpt: Gpt, content: GptContent) -> None:
    # The listing's texts are stored NFC, as searches are read (store.query): 'ά' typed as U+1F71 and
    # found as U+03AC is the same name, and both indexes compare code points.
    builder = session.get(User, gpt.owner_id)
    listing.builder_id = gpt.owner_id
    listing.builder_name = _nfc(builder.display_name) if builder else ""
    listing.category_id = session.scalar(select(Category.id).where(Category.slug == content.category))
    listing.name = _nfc(str(content.text("name", "en")))
    listing.description = _nfc(str(content.text("description", "en")))
    french_name, french_description = _nfc(str(content.text("name", "fr"))), _nfc(str(content.text("description", "fr")))
    listing.name_fr = french_name if french_name != listing.name else ""
    listing.description_fr = french_description if french_description != listing.description else ""
    listing.has_en = content.written_in("en")
    listing.has_fr = content.written_in("fr")
    listing.avatar = content.avatar
    listing.tags = _nfc(" ".join(content.tags))
    assert gpt.published_at is not None  # only a listed GPT (is_listed) gets here, and listing needs publishing
    listing.published_at = gpt.published_at
    listing.rating_score = ranking.bayesian_rating(listing.rating_sum or 0, listing.rating_count or 0)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def reindex_builder(session: Session, builder_id: int) -> None:
    """A builder was renamed: their name is on every listing of theirs, and part of its search text."""
    for gpt in session.scalars(select(Gpt).join(Listing, Listing.gpt_id == Gpt.id).where(Gpt.owner_id == builder_id)):
        sync(session, gpt)


def _user_renamed(event: events.UserRenamed) -> None:
    reindex_builder(event.session, event.user_id)


def set_usage(session: Session, listing: Listing, *, conversations: int) -> None:
    """Move a listing to its new popularity tier when its conversation count crosses one."""
    new_key = ranking.search_key(listing.id, conversations)
    if new_key != listing.search_key:
        index = index_for(session)
        index.remove(session, listing)
        listing.conversations, listing.search_key = conversations, new_key
        session.flush()
        index.add(session, listing)
    else:
        listing.conversations = conversations


def backfill(session: Session, *, batch: int = 5000) -> int:
    """List every listable GPT that has no listing yet; how many it listed.

    For a store upgraded from before listings existed: since then `sync` lists a GPT in the
    transaction that changes it. So the walk over every GPT happens once, in id order, a
    batch per transaction, leaving the last id covered in store_state (an interrupted walk
    resumes there) and finally BACKFILLED, after which a start reads that one row instead
    of scanning every GPT (6 s at 3 M GPTs). Concurrent starts take turns batch by batch.
    """
    if state.read(session, _BACKFILL) == BACKFILLED:
        return 0
    listed = 0
    while True:
        after = state.claim(session, _BACKFILL, default="")  # first: it serialises concurrent walks
        if after == BACKFILLED:
            return listed
        ids = list(session.scalars(select(Gpt.id).where(Gpt.id > after).order_by(Gpt.id).limit(batch)))
        missing = session.scalars(
            select(Gpt)
            .outerjoin(Listing, Listing.gpt_id == Gpt.id)
            .where(Gpt.id.in_(ids), Listing.id.is_(None), Gpt.visibility == "public",
                   Gpt.published_version.is_not(None), Gpt.deleted_at.is_(None), Gpt.review_state == "listed")
            .order_by(Gpt.id)
        ).all()
        for gpt in missing:
            sync(session, gpt)
        listed += len(missing)
        state.write(session, _BACKFILL, ids[-1] if len(ids) == batch else BACKFILLED)
        session.commit()


_BACKFILL = "listings_backfill"  # its store_state name: the last GPT id covered, or BACKFILLED
BACKFILLED = "complete"  # no GPT id looks like it (they are "g-" and ten letters or digits)


events.subscribe(events.UserRenamed, _user_renamed)
