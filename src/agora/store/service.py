"""Categories: the default set, and looking them up for pages and the API."""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from agora.store.categories import DEFAULT_CATEGORIES
from agora.store.models import Category


def ensure_default_categories(session: Session) -> None:
    """Create the default categories that do not exist yet; never touches edited ones."""
    existing = set(session.scalars(select(Category.slug)))
    for position, (slug, slug_fr, name_en, name_fr) in enumerate(DEFAULT_CATEGORIES):
        if slug not in existing:
            session.add(Category(slug=slug, slug_fr=slug_fr, name_en=name_en, name_fr=name_fr, position=position))


def visible_categories(session: Session) -> list[Category]:
    return list(session.scalars(_VISIBLE))


def category_by_slug(session: Session, slug: str) -> Category | None:
    return session.scalar(_BY_SLUG, {"slug": slug})


# Built once: store pages and the search API ask on every request.
_VISIBLE = select(Category).where(Category.hidden.is_(False)).order_by(Category.position)
_BY_SLUG = select(Category).where(or_(Category.slug == bindparam("slug"), Category.slug_fr == bindparam("slug")))
