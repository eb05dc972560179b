"""Which workspace a user works in, and the team settings the entitlement check reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import Membership, User, Workspace
from agora.errors import InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.workspaces.models import ActiveWorkspace, TeamSettings


def active_workspace_id(session: Session, user: User) -> int | None:
    """The chosen workspace, if the user still belongs to it."""
    return session.scalar(
        select(ActiveWorkspace.workspace_id)
        .join(Membership, (Membership.workspace_id == ActiveWorkspace.workspace_id) & (Membership.user_id == ActiveWorkspace.user_id))
        .where(ActiveWorkspace.user_id == user.id)
    )


def is_member(session: Session, user: User, workspace_id: int) -> bool:
    return session.scalar(select(Membership.id).where(Membership.user_id == user.id, Membership.workspace_id == workspace_id)) is not None


def store_gpts_blocked(session: Session, workspace_id: int | None) -> bool:
    if workspace_id is None:
        return False
    allowed = session.scalar(select(TeamSettings.allow_store_gpts).where(TeamSettings.workspace_id == workspace_id))
    return allowed is False


def outbound_domains(session: Session, workspace_id: int | None) -> tuple[str, ...] | None:
    """The domains the workspace's GPTs may reach, or None when it keeps no list (a personal workspace never does)."""
    if workspace_id is None:
        return None
    domains = session.scalar(select(TeamSettings.outbound_domains).where(TeamSettings.workspace_id == workspace_id))
    return tuple(domains) if domains else None


def create_team(session: Session, *, owner: User, name: str) -> Workspace:
    """A team workspace with its creator as owner; they start working in it."""
    name = " ".join(name.split())[:80]
    if not name:
        raise InvalidInput(_("Give the workspace a name."), field="name")
    workspace = Workspace(name=name, kind="team", owner_id=owner.id)
    session.add(workspace)
    session.flush()
    session.add(Membership(workspace_id=workspace.id, user_id=owner.id, role="owner"))
    session.add(TeamSettings(workspace_id=workspace.id, allow_store_gpts=True))
    switch(session, owner, workspace.id)
    return workspace


def switch(session: Session, user: User, workspace_id: int) -> None:
    """Work in `workspace_id` (one the user belongs to); the personal one clears the choice."""
    membership = session.scalar(select(Membership).where(Membership.user_id == user.id, Membership.workspace_id == workspace_id))
    if membership is None:
        raise NotFound(_("You are not a member of that workspace."))
    choice = session.get(ActiveWorkspace, user.id)
    if choice is None:
        session.add(ActiveWorkspace(user_id=user.id, workspace_id=workspace_id))
    else:
        choice.workspace_id = workspace_id
    session.flush()


def of_user(session: Session, user: User) -> list[tuple[Workspace, str]]:
    """Every workspace the user belongs to, with their role; personal first."""
    rows = session.execute(
        select(Workspace, Membership.role).join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user.id).order_by(Workspace.kind.desc(), Workspace.id)
    )
    return [(workspace, role) for workspace, role in rows]
