"""Admins manage categories as data: create, rename, reorder and hide."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from agora import events
from agora.accounts.models import User
from agora.audit import chain as audit
from agora.errors import Conflict, Forbidden, InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.store.models import Category
from agora.text import slugify


def _changed(session: Session) -> None:
    """The front's shelves follow the categories: its cache forgets them once this commits."""
    events.publish_after_commit(session, events.CatalogueChanged())


def _admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden(_("Only administrators manage categories."))


def _names(name_en: str, name_fr: str) -> tuple[str, str]:
    name_en, name_fr = " ".join(name_en.split()), " ".join(name_fr.split())
    if not name_en or len(name_en) > 60:
        raise InvalidInput(_("Category names are 1 to 60 characters."), field="name_en")
    if not name_fr or len(name_fr) > 60:
        raise InvalidInput(_("Category names are 1 to 60 characters."), field="name_fr")
    return name_en, name_fr


def all_categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.position, Category.id)))


def create(session: Session, admin: User, *, name_en: str, name_fr: str) -> Category:
    _admin(admin)
    name_en, name_fr = _names(name_en, name_fr)
    slug, slug_fr = slugify(name_en), slugify(name_fr)
    if not slug or not slug_fr:
        raise InvalidInput(_("Category names need letters or digits."), field="name_en")
    taken = select(Category.id).where(or_(Category.slug.in_((slug, slug_fr)), Category.slug_fr.in_((slug, slug_fr))))
    if session.scalar(taken) is not None:
        raise Conflict(_("A category with this name already exists."), field="name_en")
    position = (session.scalar(select(func.max(Category.position))) or 0) + 1
    category = Category(slug=slug, slug_fr=slug_fr, name_en=name_en, name_fr=name_fr, position=position)
    session.add(category)
    session.flush()
    audit.record(session, "admin.category_created", actor=admin, target_type="category", target_id=category.id, details={"slug": slug})
    _changed(session)
    return category


def rename(session: Session, admin: User, category_id: int, *, name_en: str, name_fr: str) -> Category:
    """New names; the slugs stay, so links and GPTs that name the category keep working."""
    _admin(admin)
    category = _get(session, category_id)
    category.name_en, category.name_fr = _names(name_en, name_fr)
    audit.record(session, "admin.category_renamed", actor=admin, target_type="category", target_id=category.id,
                 details={"name_en": category.name_en, "name_fr": category.name_fr})
    _changed(session)
    return category


def move(session: Session, admin: User, category_id: int, *, up: bool) -> None:
    _admin(admin)
    ordered = all_categories(session)
    index = next(i for i, c in enumerate(ordered) if c.id == _get(session, category_id).id)
    other = index - 1 if up else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, category in enumerate(ordered):
        category.position = position
    _changed(session)


def set_hidden(session: Session, admin: User, category_id: int, *, hidden: bool) -> None:
    """Hidden categories leave the store's navigation; their GPTs stay searchable."""
    _admin(admin)
    _get(session, category_id).hidden = hidden
    audit.record(session, "admin.category_hidden" if hidden else "admin.category_shown", actor=admin, target_type="category", target_id=category_id)
    _changed(session)


def _get(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound(_("There is no such category."))
    return category
