"""Browsing the catalogue: categories and the public listings built on them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.gpts import access
from agora.gpts.content import GptContent
from agora.text import fold
from agora.gpts.models import Gpt, GptVersion
from agora.store.categories import DEFAULT_CATEGORIES
from agora.store.models import Category


@dataclass(frozen=True)
class Card:
    """What a store card shows, already in the viewer's language."""

    id: str
    name: str
    description: str
    avatar: str
    category: str
    builder_name: str
    builder_handle: str


def ensure_default_categories(session: Session) -> None:
    """Create the default categories that do not exist yet; never touches edited ones."""
    existing = set(session.scalars(select(Category.slug)))
    for position, (slug, slug_fr, name_en, name_fr) in enumerate(DEFAULT_CATEGORIES):
        if slug not in existing:
            session.add(Category(slug=slug, slug_fr=slug_fr, name_en=name_en, name_fr=name_fr, position=position))


def visible_categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).where(Category.hidden.is_(False)).order_by(Category.position)))


def category_by_slug(session: Session, slug: str) -> Category | None:
    return session.scalar(select(Category).where(or_(Category.slug == slug, Category.slug_fr == slug)))


def _listed(viewer: User | None):
    # The builder's visibility rule decides what a listing may show this viewer.
    return access.allowed(viewer, "list")


def _cards(session: Session, query, language: str) -> list[Card]:
    rows = session.execute(
        query.join(GptVersion, (GptVersion.gpt_id == Gpt.id) & (GptVersion.number == Gpt.published_version))
        .join(User, User.id == Gpt.owner_id)
        .add_columns(GptVersion.content, User.display_name, User.handle)
    ).all()
    cards = []
    for gpt, content, builder_name, builder_handle in rows:
        text = GptContent.model_validate(content)
        cards.append(
            Card(
                id=gpt.id,
                name=str(text.text("name", language)),
                description=str(text.text("description", language)),
                avatar=text.avatar,
                category=text.category,
                builder_name=builder_name,
                builder_handle=builder_handle,
            )
        )
    return cards


def public_count_by_category(session: Session, viewer: User | None = None) -> dict[int, int]:
    rows = session.execute(select(Gpt.category_id, func.count()).where(_listed(viewer)).group_by(Gpt.category_id))
    return {category_id: count for category_id, count in rows}


def category_cards(
    session: Session, category: Category, language: str, *, limit: int, offset: int = 0, viewer: User | None = None
) -> list[Card]:
    query = (
        select(Gpt)
        .where(_listed(viewer), Gpt.category_id == category.id)
        .order_by(Gpt.published_at.desc(), Gpt.id)
        .limit(limit)
        .offset(offset)
    )
    return _cards(session, query, language)


def search_cards(session: Session, text: str, language: str, *, limit: int = 50, viewer: User | None = None) -> list[Card]:
    """Every word must appear, accents and case ignored, in either language.

    A scan: fine for thousands of GPTs; the store issue brings the full-text index.
    """
    words = fold(text).split()[:8]
    if not words:
        return []
    query = select(Gpt).where(_listed(viewer), *(Gpt.search_text.contains(word, autoescape=True) for word in words))
    return _cards(session, query.order_by(Gpt.name).limit(limit), language)
