"""The team store's rules: what a member sees (the GPTs shared with the workspace that they may
use, by the chat's rule, as the workspaces page's shelf reads them), and how its managers
arrange it: categories of the workspace's own and featured picks, each change audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit import chain as audit
from agora.errors import Conflict, InvalidInput, NotFound
from agora.gpts.ids import is_gpt_id
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.team_store.models import TeamStoreCategory, TeamStoreEntry
from agora.workspaces import members, shelf

MAX_CATEGORY = 60


@dataclass(frozen=True)
class Section:
    category: TeamStoreCategory | None  # None: the GPTs no category holds
    cards: list[shelf.ShelfCard]


@dataclass(frozen=True)
class TeamFront:
    featured: list[shelf.ShelfCard]
    sections: list[Section]
    categories: list[TeamStoreCategory]
    placed: dict[str, TeamStoreEntry]  # gpt id -> its place, for the managers' form


def front(session: Session, viewer: User, workspace_id: int, language: str) -> TeamFront:
    members.team(session, workspace_id, viewer)  # members only: 404 for anyone else
    cards = shelf.shared_gpts(session, viewer, [workspace_id], language).get(workspace_id, [])
    categories = list(session.scalars(select(TeamStoreCategory).where(TeamStoreCategory.workspace_id == workspace_id)
                                      .order_by(TeamStoreCategory.name)))
    placed = {entry.gpt_id: entry for entry in session.scalars(select(TeamStoreEntry).where(TeamStoreEntry.gpt_id.in_([c.id for c in cards])))}
    sections = [Section(category, [c for c in cards if c.id in placed and placed[c.id].category_id == category.id]) for category in categories]
    unplaced = [c for c in cards if c.id not in placed or placed[c.id].category_id is None]
    sections = [s for s in sections if s.cards] + ([Section(None, unplaced)] if unplaced else [])
    return TeamFront([c for c in cards if c.id in placed and placed[c.id].featured], sections, categories, placed)


def add_category(session: Session, *, workspace_id: int, by: User, name: str) -> TeamStoreCategory:
    members.team(session, workspace_id, by, manage=True)
    name = " ".join(name.split())
    if not name or len(name) > MAX_CATEGORY:
        raise InvalidInput(_("Name the category (at most %(max)d characters).", max=MAX_CATEGORY), field="name")
    category = TeamStoreCategory(workspace_id=workspace_id, name=name)
    session.add(category)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(_("This workspace already has a category %(name)s.", name=name), field="name") from None
    audit.record(session, "store.category_added", actor=by, workspace_id=workspace_id, target_type="store_category", target_id=category.id,
                 details={"name": name})
    return category


def place(session: Session, *, workspace_id: int, by: User, gpt_id: str, category_id: int | None, featured: bool) -> None:
    """Put one of the workspace's GPTs in one of its categories (or none), featured or not."""
    members.team(session, workspace_id, by, manage=True)
    gpt = session.get(Gpt, gpt_id) if is_gpt_id(gpt_id) else None
    if gpt is None or gpt.workspace_id != workspace_id or gpt.deleted_at is not None:
        raise NotFound(_("This workspace has no such GPT."))
    category = session.get(TeamStoreCategory, category_id) if category_id else None
    if category_id and (category is None or category.workspace_id != workspace_id):
        raise InvalidInput(_("Choose one of this workspace's categories."), field="category")
    entry = session.get(TeamStoreEntry, gpt_id, with_for_update=True) or TeamStoreEntry(gpt_id=gpt_id)
    entry.category_id, entry.featured = category_id or None, featured
    session.add(entry)
    audit.record(session, "store.gpt_placed", actor=by, workspace_id=workspace_id, target_type="gpt", target_id=gpt_id,
                 details={"name": gpt.name, "category": category.name if category else None, "featured": featured})
