"""Team membership: invite by link, accept, change roles, remove; seats enforced throughout.

An invite is a link carrying a random token (only its SHA-256 is stored, so the link is
shown once, and emailed when a mail server is configured: see invite_mail). Pending
invites hold a seat, so a team can never accept more members than it pays for.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from agora import domain_proof, events, outbound
from agora.accounts import validation
from agora.accounts.models import MEMBER_ROLES, Membership, User, Workspace
from agora.audit import chain as audit
from agora.db import rows_changed, utcnow
from agora.errors import Conflict, Forbidden, InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.workspaces.models import ActiveWorkspace, Invite, TeamSettings

MANAGERS = ("owner", "admin")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def role_in(session: Session, workspace_id: int, user: User) -> str | None:
    return session.scalar(select(Membership.role).where(Membership.workspace_id == workspace_id, Membership.user_id == user.id))


def team(session: Session, workspace_id: int, user: User, *, manage: bool = False) -> Workspace:
    """A team workspace the user belongs to (and manages, when asked); 404 otherwise."""
    workspace = session.get(Workspace, workspace_id)
    role = role_in(session, workspace_id, user)
    if workspace is None or workspace.kind != "team" or role is None:
        raise NotFound(_("There is no such workspace, or you are not a member."))
    if manage and role not in MANAGERS:
        raise Forbidden(_("Only the owner and admins of this workspace can do this."))
    return workspace


# How to read a team's paid seats. Billing knows them and sits above workspaces (it bills them), so
# it hands its reader down when loaded (agora.billing.subscriptions) instead of being imported here.
_paid_seats: list[Callable[[Session, int], int | None]] = []


def read_paid_seats_with(reader: Callable[[Session, int], int | None]) -> None:
    """Billing's reader of a team's paid seats (None when it has no plan in force)."""
    _paid_seats[:] = [reader]


def seats_of(session: Session, workspace_id: int) -> int | None:
    """Paid seats, or None when the team has no plan yet (then only its creator fits)."""
    if not _paid_seats:
        raise RuntimeError("agora.billing is not loaded, so a team's paid seats are unknown: import agora.billing.subscriptions")
    return _paid_seats[0](session, workspace_id)


def seats_used(session: Session, workspace_id: int) -> int:
    members = session.scalars(select(func.count()).where(Membership.workspace_id == workspace_id)).one()
    pending = session.scalars(select(func.count()).where(Invite.workspace_id == workspace_id, Invite.accepted_at.is_(None))).one()
    return members + pending


def _need_a_seat(session: Session, workspace_id: int, *, counting_pending: bool) -> None:
    seats = seats_of(session, workspace_id) or 1
    used = seats_used(session, workspace_id) if counting_pending else session.scalars(select(func.count()).where(Membership.workspace_id == workspace_id)).one()
    if used >= seats:
        raise InvalidInput(
            _("All %(seats)s seats of this workspace are taken. Add seats (the Team plan, from /pricing) or remove a member first.", seats=seats),
            field="email", code="no_seat_left",
        )


def invite(session: Session, *, workspace_id: int, by: User, email: str, role: str = "member") -> str:
    """Returns the invite token (the link is /invites/{token})."""
    team(session, workspace_id, by, manage=True)
    email = validation.clean_email(email)
    if role not in ("admin", "member"):
        raise InvalidInput(_("Invite as admin or member."), field="role")
    already = session.scalar(
        select(Membership.id).join(User, User.id == Membership.user_id).where(Membership.workspace_id == workspace_id, User.email == email))
    if already:
        raise Conflict(_("%(email)s is already a member.", email=email), field="email")
    session.execute(delete(Invite).where(Invite.workspace_id == workspace_id, Invite.email == email, Invite.accepted_at.is_(None)))
    _need_a_seat(session, workspace_id, counting_pending=True)
    token = secrets.token_urlsafe(24)
    session.add(Invite(workspace_id=workspace_id, email=email, role=role, token_hash=_hash(token), invited_by=by.id))
    session.flush()
    audit.record(session, "member.invited", actor=by, workspace_id=workspace_id, target_type="email", target_id=email, details={"role": role})
    return token


@dataclass(frozen=True)
class InviteFace:
    """What the invitation page tells the person holding the link: which team, from whom, as what."""

    workspace_name: str
    inviter_name: str
    role: str
    email: str


def invite_face(session: Session, *, token: str) -> InviteFace:
    invitation = session.scalar(select(Invite).where(Invite.token_hash == _hash(token)))
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound(_("This invitation does not exist or was already used."))
    inviter = session.get(User, invitation.invited_by)
    return InviteFace(session.get_one(Workspace, invitation.workspace_id).name, inviter.display_name if inviter else "",
                      invitation.role, invitation.email)


def accept(session: Session, *, token: str, user: User) -> Workspace:
    invitation = session.scalar(select(Invite).where(Invite.token_hash == _hash(token)).with_for_update())
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound(_("This invitation does not exist or was already used."))
    if invitation.email != user.email:
        raise Forbidden(_("This invitation is for %(email)s; log in with that account to accept it.", email=invitation.email))
    invitation.accepted_at = utcnow()  # its seat becomes the member's seat
    session.add(Membership(workspace_id=invitation.workspace_id, user_id=user.id, role=invitation.role))
    session.flush()
    audit.record(session, "member.joined", actor=user, workspace_id=invitation.workspace_id, target_type="user", target_id=user.id,
                 details={"role": invitation.role, "by": "invitation"})
    from agora.workspaces.service import switch

    switch(session, user, invitation.workspace_id)
    return session.get_one(Workspace, invitation.workspace_id)


def provision(session: Session, *, workspace_id: int, user: User, role: str | None, by_label: str = "system") -> str:
    """Make `user` a member of the team as its identity provider says (single sign-on, SCIM); returns their role.

    `role` (admin or member) replaces the current one, but never an owner's; None keeps it
    (member for a newcomer). A newcomer takes the seat of their pending invitation, if any,
    else a free seat, and must wait for one when the team has none.
    """
    membership = session.scalar(select(Membership).where(Membership.workspace_id == workspace_id, Membership.user_id == user.id))
    if membership is None:
        invitation = session.scalar(select(Invite).where(Invite.workspace_id == workspace_id, Invite.email == user.email, Invite.accepted_at.is_(None)))
        if invitation is not None:
            invitation.accepted_at = utcnow()  # its seat becomes the member's seat
        else:
            _need_a_seat(session, workspace_id, counting_pending=True)
        membership = Membership(workspace_id=workspace_id, user_id=user.id, role=role or "member")
        session.add(membership)
        session.flush()
        audit.record(session, "member.joined", actor_label=by_label, workspace_id=workspace_id, target_type="user", target_id=user.id,
                     details={"role": membership.role, "email": user.email})
    elif role is not None and membership.role not in ("owner", role):
        audit.record(session, "member.role_changed", actor_label=by_label, workspace_id=workspace_id, target_type="user", target_id=user.id,
                     details={"from": membership.role, "to": role, "email": user.email})
        membership.role = role
    return membership.role


def unprovision(session: Session, *, workspace_id: int, user_id: int, by_label: str = "system") -> None:
    """The identity provider removed the person: they leave the team, unless they are its last owner."""
    membership = session.scalar(select(Membership).where(Membership.workspace_id == workspace_id, Membership.user_id == user_id))
    if membership is None or (membership.role == "owner" and _owners(session, workspace_id) == 1):
        return
    audit.record(session, "member.removed", actor_label=by_label, workspace_id=workspace_id, target_type="user", target_id=user_id,
                 details={"role": membership.role})
    _leave(session, membership)


def set_role(session: Session, *, workspace_id: int, by: User, user_id: int, role: str) -> None:
    team(session, workspace_id, by, manage=True)
    if role not in MEMBER_ROLES:
        raise InvalidInput(_("Roles are owner, admin and member."), field="role")
    membership = session.scalar(select(Membership).where(Membership.workspace_id == workspace_id, Membership.user_id == user_id))
    if membership is None:
        raise NotFound(_("That person is not a member."))
    if (role == "owner" or membership.role == "owner") and role_in(session, workspace_id, by) != "owner":
        raise Forbidden(_("Only an owner can make or unmake owners."))
    if membership.role == "owner" and role != "owner" and _owners(session, workspace_id) == 1:
        raise Conflict(_("A workspace needs at least one owner."))
    if membership.role != role:
        audit.record(session, "member.role_changed", actor=by, workspace_id=workspace_id, target_type="user", target_id=user_id,
                     details={"from": membership.role, "to": role})
    membership.role = role


def remove(session: Session, *, workspace_id: int, by: User, user_id: int) -> None:
    """Managers remove others; anyone may leave. The last owner cannot go."""
    if by.id != user_id:
        team(session, workspace_id, by, manage=True)
    membership = session.scalar(select(Membership).where(Membership.workspace_id == workspace_id, Membership.user_id == user_id))
    if membership is None:
        raise NotFound(_("That person is not a member."))
    if membership.role == "owner" and _owners(session, workspace_id) == 1:
        raise Conflict(_("A workspace needs at least one owner."))
    audit.record(session, "member.left" if by.id == user_id else "member.removed", actor=by, workspace_id=workspace_id, target_type="user",
                 target_id=user_id, details={"role": membership.role})
    _leave(session, membership)


def _leave(session: Session, membership: Membership) -> None:
    # Before the membership goes, in this transaction: the GPT inventory hands the leaver's GPTs over.
    events.publish(events.MemberLeaving(session, membership.workspace_id, membership.user_id))
    session.delete(membership)
    session.execute(delete(ActiveWorkspace).where(ActiveWorkspace.user_id == membership.user_id, ActiveWorkspace.workspace_id == membership.workspace_id))


def set_store_gpts(session: Session, *, workspace_id: int, by: User, allowed: bool) -> None:
    team(session, workspace_id, by, manage=True)
    audit.record(session, "workspace.settings_changed", actor=by, workspace_id=workspace_id, target_type="workspace", target_id=workspace_id,
                 details={"allow_store_gpts": allowed})
    settings = session.get(TeamSettings, workspace_id)
    if settings is None:
        session.add(TeamSettings(workspace_id=workspace_id, allow_store_gpts=allowed))
    else:
        settings.allow_store_gpts = allowed


MAX_OUTBOUND_DOMAINS = 100


def set_outbound_domains(session: Session, *, workspace_id: int, by: User, domains: list[str]) -> tuple[str, ...]:
    """Managers: the only domains the team's GPTs' actions and tools may reach (an empty list: no restriction)."""
    team(session, workspace_id, by, manage=True)
    cleaned = outbound.clean_domains(domains)
    for domain in cleaned:
        if not domain_proof.DOMAIN.match(domain):
            raise InvalidInput(_("“%(domain)s” is not a domain name like example.com; write one per line, without a path.", domain=domain),
                               field="outbound_domains")
    if len(cleaned) > MAX_OUTBOUND_DOMAINS:
        raise InvalidInput(_("At most %(max)s domains.", max=MAX_OUTBOUND_DOMAINS), field="outbound_domains")
    settings = session.get(TeamSettings, workspace_id)
    if settings is None:
        settings = TeamSettings(workspace_id=workspace_id, allow_store_gpts=True)
        session.add(settings)
    if tuple(settings.outbound_domains or ()) != cleaned:
        audit.record(session, "workspace.settings_changed", actor=by, workspace_id=workspace_id, target_type="workspace",
                     target_id=workspace_id, details={"outbound_domains": list(cleaned)})
        settings.outbound_domains = list(cleaned) or None
    return cleaned


@dataclass(frozen=True)
class Member:
    user_id: int
    display_name: str
    email: str
    role: str


@dataclass(frozen=True)
class Pending:
    invite_id: int
    email: str
    role: str
    invited_at: datetime


@dataclass(frozen=True)
class Roster:
    workspace: Workspace
    viewer_role: str
    members: list[Member]
    pending: list[Pending]
    seats: int | None  # paid seats, None without a plan
    allow_store_gpts: bool
    outbound_domains: tuple[str, ...] = ()  # the only domains its GPTs' actions and tools reach; empty: no restriction


def roster(session: Session, *, workspace_id: int, user: User) -> Roster:
    """Who is in a team and who is invited, for its members; managers also see the pending emails."""
    workspace = team(session, workspace_id, user)
    role = role_in(session, workspace_id, user)
    assert role is not None  # team() has refused anyone who is not a member
    rows = session.execute(
        select(User.id, User.display_name, User.email, Membership.role).join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id).order_by(User.display_name, User.id)
    )
    invites: Iterable[Invite] = session.scalars(
        select(Invite).where(Invite.workspace_id == workspace_id, Invite.accepted_at.is_(None)).order_by(Invite.created_at, Invite.id)
    ) if role in MANAGERS else []
    settings = session.get(TeamSettings, workspace_id)
    return Roster(
        workspace, role, [Member(*row) for row in rows], [Pending(i.id, i.email, i.role, i.created_at) for i in invites],
        seats_of(session, workspace_id), settings is None or settings.allow_store_gpts,
        tuple(settings.outbound_domains or ()) if settings is not None else (),
    )


def revoke_invite(session: Session, *, workspace_id: int, by: User, invite_id: int) -> None:
    """Managers withdraw a pending invitation: its link stops working and its seat is free again."""
    team(session, workspace_id, by, manage=True)
    removed = rows_changed(session.execute(
        delete(Invite).where(Invite.id == invite_id, Invite.workspace_id == workspace_id, Invite.accepted_at.is_(None))
    ))
    if not removed:
        raise NotFound(_("There is no such pending invitation."))
    audit.record(session, "member.invite_revoked", actor=by, workspace_id=workspace_id, target_type="invite", target_id=invite_id)


def _owners(session: Session, workspace_id: int) -> int:
    return session.scalars(select(func.count()).where(Membership.workspace_id == workspace_id, Membership.role == "owner")).one()
