"""Team workspaces over JSON: create, list, switch, invite, accept, roles, members, settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from agora.accounts import validation
from agora.inputs import Id, Text
from agora.web.deps import AppSettings, CurrentUser, Db, public_link
from agora.web.json_route import JsonRoute
from agora.workspaces import invite_mail, members, service

router = APIRouter(prefix="/api", tags=["workspaces"], route_class=JsonRoute)


class WorkspaceIn(BaseModel):
    name: Text = Field(max_length=80)


class WorkspaceOut(BaseModel):
    id: int
    name: str
    kind: str
    role: str
    active: bool


class InviteIn(BaseModel):
    email: Text
    role: Text = "member"


class MemberOut(BaseModel):
    user_id: int
    display_name: str
    email: str
    role: str


class PendingOut(BaseModel):
    invite_id: int
    email: str
    role: str
    invited_at: datetime


class RosterOut(BaseModel):
    seats: int | None
    seats_used: int
    allow_store_gpts: bool
    outbound_domains: list[str]
    members: list[MemberOut]
    pending: list[PendingOut]


class RoleIn(BaseModel):
    role: Text


class TeamSettingsIn(BaseModel):
    allow_store_gpts: bool | None = None
    # The only domains (and subdomains) the team's GPTs' actions and tools may reach; [] lifts the restriction.
    outbound_domains: list[Annotated[Text, StringConstraints(max_length=300)]] | None = Field(None, max_length=1000)


def _listing(session, user) -> list[WorkspaceOut]:
    active = service.active_workspace_id(session, user)
    rows = service.of_user(session, user)
    chosen = active or next(w.id for w, _ in rows if w.kind == "personal")
    return [WorkspaceOut(id=w.id, name=w.name, kind=w.kind, role=role, active=w.id == chosen) for w, role in rows]


@router.get("/workspaces", response_model=list[WorkspaceOut])
def list_workspaces(user: CurrentUser, db: Db):
    """Your workspaces; `active` is the one you work in (its plan applies)."""
    with db.session() as session:
        return _listing(session, user)


@router.post("/workspaces", status_code=201, response_model=WorkspaceOut)
def create_workspace(body: WorkspaceIn, user: CurrentUser, db: Db):
    with db.session() as session:
        workspace = service.create_team(session, owner=user, name=body.name)
        return WorkspaceOut(id=workspace.id, name=workspace.name, kind="team", role="owner", active=True)


@router.post("/workspaces/{workspace_id}/switch", response_model=list[WorkspaceOut])
def switch(workspace_id: Id, user: CurrentUser, db: Db):
    with db.session() as session:
        service.switch(session, user, workspace_id)
        return _listing(session, user)


@router.post("/workspaces/{workspace_id}/invites", status_code=201)
def invite(workspace_id: Id, body: InviteIn, request: Request, user: CurrentUser, db: Db, settings: AppSettings) -> dict:
    """Invite someone by email. The link (it works once) is emailed when a mail server is
    configured (`emailed`; otherwise `email_note` says why not): it is returned only here."""
    url, note = send_invite(request, db, settings, user, workspace_id=workspace_id, email=body.email, role=body.role)
    return {"url": url, "emailed": note is None, "email_note": note}


def send_invite(request: Request, db, settings, user, *, workspace_id: int, email: str, role: str) -> tuple[str, str | None]:
    """Store the invitation, then email its link (after the commit: a mail failure keeps it valid). Pages use it too."""
    with db.session() as session:
        token = members.invite(session, workspace_id=workspace_id, by=user, email=email, role=role)
        team = members.team(session, workspace_id, user).name
    url = public_link(request, "invite_page", token=token)
    return url, invite_mail.send(settings, to=validation.clean_email(email), team=team, inviter=user.display_name, url=url)


@router.get("/workspaces/{workspace_id}/members", response_model=RosterOut)
def roster(workspace_id: Id, user: CurrentUser, db: Db):
    """Members and their roles, the seats, and (for owners and admins) the pending invitations."""
    with db.session() as session:
        found = members.roster(session, workspace_id=workspace_id, user=user)
        return RosterOut(
            seats=found.seats, seats_used=len(found.members) + len(found.pending), allow_store_gpts=found.allow_store_gpts,
            outbound_domains=list(found.outbound_domains),
            members=[MemberOut(**vars(m)) for m in found.members], pending=[PendingOut(**vars(p)) for p in found.pending],
        )


@router.delete("/workspaces/{workspace_id}/invites/{invite_id}", status_code=204)
def revoke_invite(workspace_id: Id, invite_id: Id, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        members.revoke_invite(session, workspace_id=workspace_id, by=user, invite_id=invite_id)
    return Response(status_code=204)


@router.post("/invites/{token}/accept", response_model=WorkspaceOut)
def accept(token: Text, user: CurrentUser, db: Db):
    with db.session() as session:
        workspace = members.accept(session, token=token, user=user)
        return WorkspaceOut(id=workspace.id, name=workspace.name, kind=workspace.kind, role=members.role_in(session, workspace.id, user), active=True)


@router.patch("/workspaces/{workspace_id}/members/{user_id}", status_code=204)
def set_role(workspace_id: Id, user_id: Id, body: RoleIn, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        members.set_role(session, workspace_id=workspace_id, by=user, user_id=user_id, role=body.role)
    return Response(status_code=204)


@router.delete("/workspaces/{workspace_id}/members/{user_id}", status_code=204)
def remove(workspace_id: Id, user_id: Id, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        members.remove(session, workspace_id=workspace_id, by=user, user_id=user_id)
    return Response(status_code=204)


@router.patch("/workspaces/{workspace_id}/settings", status_code=204)
def team_settings(workspace_id: Id, body: TeamSettingsIn, user: CurrentUser, db: Db) -> Response:
    """Admins: allow or block members' use of public store GPTs by other builders; the domains the team's GPTs may reach."""
    with db.session() as session:
        if body.allow_store_gpts is not None:
            members.set_store_gpts(session, workspace_id=workspace_id, by=user, allowed=body.allow_store_gpts)
        if body.outbound_domains is not None:
            members.set_outbound_domains(session, workspace_id=workspace_id, by=user, domains=body.outbound_domains)
    return Response(status_code=204)
