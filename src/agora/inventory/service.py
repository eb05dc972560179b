"""The inventory's rules: list a team's GPTs with what an admin must know, act on many at once,
and hand a leaver's GPTs to the team's heir.

Bulk actions are all or nothing (one transaction; an id not of the team refuses the whole
request, naming it). Each change is audited as the builder's own would be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agora import events
from agora.accounts.models import Membership, User
from agora.audit import chain as audit
from agora.chat.models import Conversation
from agora.config import Settings
from agora.db import utcnow
from agora.errors import InvalidInput
from agora.gpts import plan_rules
from agora.gpts import service as gpts
from agora.gpts.content import VISIBILITIES
from agora.gpts.ids import is_gpt_id
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.inventory.models import GptHeir
from agora.knowledge.models import KnowledgeFile
from agora.store import listings
from agora.workspaces import members

ACTIONS = ("visibility", "transfer", "delete")
MAX_BULK = 500
# Who may use a GPT, by its visibility, as the CSV says it (the page says it in the reader's language).
AUDIENCES = {"private": "its builder and the workspace's admins", "link": "anyone with the link", "workspace": "the workspace's members",
             "public": "everyone (listed in the store)"}


@dataclass(frozen=True)
class Row:
    id: str
    name: str
    owner_id: int
    owner: str
    owner_email: str
    visibility: str
    published: bool
    knowledge_files: int
    conversations_30d: int
    updated_at: datetime


@dataclass(frozen=True)
class Filters:
    q: str = ""
    owner_id: int | None = None
    visibility: str = ""


def rows(session: Session, workspace_id: int, filters: Filters, *, now: datetime | None = None) -> list[Row]:
    """Every live GPT of the team, last edited first, with its knowledge and recent use."""
    since = (now or utcnow()) - timedelta(days=30)
    files = (select(func.count()).select_from(KnowledgeFile).where(KnowledgeFile.gpt_id == Gpt.id, KnowledgeFile.removed_at.is_(None))
             .correlate(Gpt).scalar_subquery())
    recent = (select(func.count()).select_from(Conversation).where(Conversation.gpt_id == Gpt.id, Conversation.updated_at >= since)
              .correlate(Gpt).scalar_subquery())
    statement = (select(Gpt, User.display_name, User.email, files, recent).join(User, User.id == Gpt.owner_id)
                 .where(Gpt.workspace_id == workspace_id, Gpt.deleted_at.is_(None)))
    if filters.q:
        statement = statement.where(func.lower(Gpt.name).contains(filters.q.lower(), autoescape=True))
    if filters.owner_id is not None:
        statement = statement.where(Gpt.owner_id == filters.owner_id)
    if filters.visibility:
        statement = statement.where(Gpt.visibility == filters.visibility)
    result = session.execute(statement.order_by(Gpt.updated_at.desc(), Gpt.id))
    return [Row(gpt.id, gpt.draft.get("name") or gpt.name, gpt.owner_id, name, email, gpt.visibility, gpt.published_version is not None,
                knowledge, used, gpt.updated_at) for gpt, name, email, knowledge, used in result]


def parse_filters(q: str, owner: str, visibility: str) -> Filters:
    from agora.inputs import id_or_none

    if visibility and visibility not in VISIBILITIES:
        raise InvalidInput(_("Visibility is one of: %(choices)s.", choices=", ".join(VISIBILITIES)), field="visibility")
    owner_id = id_or_none(owner) if owner else None
    if owner and owner_id is None:
        raise InvalidInput(_("Choose a builder from the list."), field="owner")
    return Filters(" ".join(q.split())[:100], owner_id, visibility)


def bulk(session: Session, settings: Settings, *, workspace_id: int, by: User, action: str, gpt_ids: Sequence[str],
         visibility: str = "", to_user_id: int | None = None) -> int:
    """Change the visibility of, transfer or delete the chosen GPTs of the team, all or none; how many."""
    members.team(session, workspace_id, by, manage=True)
    if action not in ACTIONS:
        raise InvalidInput(_("Choose what to do with the selected GPTs."), field="action")
    chosen = _chosen(session, workspace_id, gpt_ids)
    if action == "visibility":
        if visibility not in VISIBILITIES:
            raise InvalidInput(_("Visibility is one of: %(choices)s.", choices=", ".join(VISIBILITIES)), field="visibility")
        for gpt in chosen:
            plan_rules.before_change(session, by, settings, gpt, visibility=visibility, publishing=False)
            gpts.update_draft(session, gpt, visibility=visibility, by=by)
    elif action == "transfer":
        heir = _member(session, workspace_id, to_user_id)
        for gpt in chosen:
            transfer(session, gpt, to=heir, by=by, reason="inventory")
    else:
        for gpt in chosen:
            gpts.delete_gpt(session, gpt, by=by)
    return len(chosen)


def _chosen(session: Session, workspace_id: int, gpt_ids: Sequence[str]) -> list[Gpt]:
    ids = list(dict.fromkeys(gpt_ids))
    if not ids:
        raise InvalidInput(_("Select at least one GPT."), field="gpt_ids")
    if len(ids) > MAX_BULK:
        raise InvalidInput(_("Select at most %(max)d GPTs at once.", max=MAX_BULK), field="gpt_ids")
    wellformed = [gpt_id for gpt_id in ids if is_gpt_id(gpt_id)]  # anything else (a NUL even) is not looked up
    found = {gpt.id: gpt for gpt in session.scalars(select(Gpt).where(Gpt.id.in_(wellformed), Gpt.workspace_id == workspace_id,
                                                                      Gpt.deleted_at.is_(None)).with_for_update())}
    missing = [gpt_id if is_gpt_id(gpt_id) else repr(gpt_id[:20]) for gpt_id in ids if gpt_id not in found]
    if missing:
        raise InvalidInput(_("%(ids)s: not a GPT of this workspace (deleted meanwhile?). Nothing was changed.", ids=", ".join(missing[:5])),
                           field="gpt_ids")
    return [found[gpt_id] for gpt_id in ids]


def _member(session: Session, workspace_id: int, user_id: int | None) -> User:
    user = session.get(User, user_id) if user_id else None
    if user is None or members.role_in(session, workspace_id, user) is None or user.deactivated_at is not None:
        raise InvalidInput(_("Transfer to an active member of this workspace."), field="to_user_id")
    return user


def transfer(session: Session, gpt: Gpt, *, to: User, by: User | None, reason: str) -> None:
    """`to` builds the GPT from now on (its listing credits them); audited."""
    if gpt.owner_id == to.id:
        return
    audit.record(session, "gpt.transferred", actor=by, actor_label="" if by else "system", workspace_id=gpt.workspace_id, target_type="gpt",
                 target_id=gpt.id, details={"name": gpt.name, "from": gpt.owner_id, "to": to.id, "to_email": to.email, "reason": reason})
    gpt.owner_id = to.id
    gpt.updated_at = utcnow()
    session.flush()
    listings.sync(session, gpt)


def heir_of(session: Session, workspace_id: int, *, leaving: int | None = None) -> User | None:
    """Who inherits: the chosen admin while they manage the team, else its first owner; never the one leaving."""
    chosen = session.get(GptHeir, workspace_id)
    if chosen is not None and chosen.user_id != leaving:
        user = session.get(User, chosen.user_id)
        if user is not None and user.deactivated_at is None and members.role_in(session, workspace_id, user) in members.MANAGERS:
            return user
    owner_id = session.scalar(select(Membership.user_id).where(Membership.workspace_id == workspace_id, Membership.role == "owner",
                                                               Membership.user_id != (leaving or 0)).order_by(Membership.id).limit(1))
    return session.get(User, owner_id) if owner_id else None


def choose_heir(session: Session, *, workspace_id: int, by: User, user_id: int) -> None:
    members.team(session, workspace_id, by, manage=True)
    user = session.get(User, user_id)
    if user is None or members.role_in(session, workspace_id, user) not in members.MANAGERS:
        raise InvalidInput(_("Choose an owner or admin of this workspace."), field="heir")
    heir = session.get(GptHeir, workspace_id) or GptHeir(workspace_id=workspace_id)
    if heir.user_id != user.id:
        audit.record(session, "workspace.gpt_heir_chosen", actor=by, workspace_id=workspace_id, target_type="user", target_id=user.id,
                     details={"email": user.email})
    heir.user_id = user.id
    session.add(heir)


def hand_over(session: Session, workspace_id: int, user_id: int, *, reason: str) -> int:
    """The member leaves the team or is deactivated: their GPTs of it go to the heir; how many."""
    owned = list(session.scalars(select(Gpt).where(Gpt.workspace_id == workspace_id, Gpt.owner_id == user_id, Gpt.deleted_at.is_(None))))
    heir = heir_of(session, workspace_id, leaving=user_id) if owned else None
    if heir is None:
        return 0
    for gpt in owned:
        transfer(session, gpt, to=heir, by=None, reason=reason)
    return len(owned)


def _member_leaving(event: events.MemberLeaving) -> None:
    hand_over(event.session, event.workspace_id, event.user_id, reason="left the workspace")


events.subscribe(events.MemberLeaving, _member_leaving)
