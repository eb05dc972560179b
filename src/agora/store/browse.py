"""Browsing without a query: category pages, the store front's shelves, a builder's GPTs.

Category pages use keyset (cursor) pagination on (sort value, id): each page continues
strictly after the last row shown, so GPTs published or removed meanwhile never make a
page repeat or skip one, and page 50 costs what page 1 costs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.store import cursors
from agora.store.models import Category, Listing
from agora.store.search import Results

SORT_COLUMNS = {
    "trending": Listing.trending,
    "top_rated": Listing.rating_score,
    "most_used": Listing.conversations,
    "newest": Listing.published_at,
}
SHELF_SIZE = 8
FRONT_CACHE_SECONDS = 60


def category_page(
    session: Session,
    category: Category,
    *,
    sort: str = "trending",
    language: str | None = None,
    cursor: str | None = None,
    limit: int = 24,
) -> Results:
    if sort not in SORT_COLUMNS:
        raise InvalidInput(
            _("Unknown sort %(sort)r; use one of: %(sorts)s.", sort=sort, sorts=", ".join(SORT_COLUMNS)), field="sort"
        )
    column = SORT_COLUMNS[sort]
    statement = select(Listing).where(Listing.category_id == category.id)
    statement = _language_filter(statement, language)
    shown = 0
    if cursor:
        value, last_id, shown = _decode(cursor, sort)
        statement = statement.where(tuple_(column, Listing.id) < tuple_(value, last_id))
    rows = list(session.scalars(statement.order_by(column.desc(), Listing.id.desc()).limit(limit + 1)))
    page, more = rows[:limit], len(rows) > limit
    return Results(page, _encode(page[-1], sort, shown + len(page)) if more else None)


def first_rank(cursor: str | None, sort: str) -> int:
    """The place in its ranking of a category page's first GPT: 1, or one after what the
    pages before showed (the cursor counts them; keyset pages have no offset to read it from)."""
    return _decode(cursor, sort)[2] + 1 if cursor else 1


def top(session: Session, *, sort: str = "trending", category: Category | None = None, limit: int = SHELF_SIZE) -> list[Listing]:
    column = SORT_COLUMNS[sort]
    statement = select(Listing)
    if category is not None:
        statement = statement.where(Listing.category_id == category.id)
    return list(session.scalars(statement.order_by(column.desc(), Listing.id.desc()).limit(limit)))


def by_builder(session: Session, builder_id: int, *, exclude: str | None = None, limit: int = SHELF_SIZE) -> list[Listing]:
    statement = select(Listing).where(Listing.builder_id == builder_id)
    if exclude:
        statement = statement.where(Listing.gpt_id != exclude)
    return list(session.scalars(statement.order_by(Listing.conversations.desc(), Listing.id.desc()).limit(limit)))


def _language_filter(statement, language: str | None):
    if language == "fr":
        return statement.where(Listing.has_fr.is_(True))
    if language == "en":
        return statement.where(Listing.has_en.is_(True))
    return statement


def _encode(listing: Listing, sort: str, shown: int) -> str:
    """Where the next page starts: after this listing; `shown` GPTs came before it (its ranks)."""
    value = getattr(listing, SORT_COLUMNS[sort].key)
    if isinstance(value, datetime):
        value = value.isoformat()
    return cursors.encode({"s": sort, "v": value, "i": listing.id, "n": shown})


def _decode(cursor: str, sort: str):
    data = cursors.decode(cursor)
    try:
        if data["s"] != sort:
            raise ValueError("cursor from another sort")
        value = datetime.fromisoformat(data["v"]) if sort == "newest" else float(data["v"])
        shown = data.get("n", 0)  # cursors given before ranks were numbered have none
        if not isinstance(shown, int) or isinstance(shown, bool) or shown < 0:
            raise ValueError("not a count")
        return value, int(data["i"]), shown
    except (KeyError, TypeError, ValueError):
        raise cursors.refused() from None


def counts_by_category(session: Session) -> dict[int, int]:
    """GPTs listed per category: counters kept by store.listings.sync, so no listing is read."""
    return dict(session.execute(select(Category.id, Category.listing_count)).all())


def total(session: Session, counts: dict[int, int]) -> int:
    """Every listed GPT: the categories' counters plus the few without a category (an index range)."""
    uncategorised = session.scalar(select(func.count()).select_from(Listing).where(Listing.category_id.is_(None)))
    return sum(counts.values()) + (uncategorised or 0)
