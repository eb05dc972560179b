"""Team workspaces over JSON: create, list, switch, invite, accept, roles, members, settings."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from agora.workspaces import members, service
from agora.web.deps import CurrentUser, Db

router = APIRouter(prefix="/api", tags=["workspaces"])


class WorkspaceIn(BaseModel):
    name: str = Field(max_length=80)


class WorkspaceOut(BaseModel):
    id: int
    name: str
    kind: str
    role: str
    active: bool


class InviteIn(BaseModel):
    email: str
    role: str = "member"


class RoleIn(BaseModel):
    role: str


class TeamSettingsIn(BaseModel):
    allow_store_gpts: bool


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
def switch(workspace_id: int, user: CurrentUser, db: Db):
    with db.session() as session:
        service.switch(session, user, workspace_id)
        return _listing(session, user)


@router.post("/workspaces/{workspace_id}/invites", status_code=201)
def invite(workspace_id: int, body: InviteIn, request: Request, user: CurrentUser, db: Db) -> dict:
    """Invite someone by email; send them the returned link (it works once)."""
    with db.session() as session:
        token = members.invite(session, workspace_id=workspace_id, by=user, email=body.email, role=body.role)
    return {"url": str(request.url_for("invite_page", token=token))}


@router.post("/invites/{token}/accept", response_model=WorkspaceOut)
def accept(token: str, user: CurrentUser, db: Db):
    with db.session() as session:
        workspace = members.accept(session, token=token, user=user)
        return WorkspaceOut(id=workspace.id, name=workspace.name, kind=workspace.kind, role=members.role_in(session, workspace.id, user), active=True)


@router.patch("/workspaces/{workspace_id}/members/{user_id}", status_code=204)
def set_role(workspace_id: int, user_id: int, body: RoleIn, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        members.set_role(session, workspace_id=workspace_id, by=user, user_id=user_id, role=body.role)
    return Response(status_code=204)


@router.delete("/workspaces/{workspace_id}/members/{user_id}", status_code=204)
def remove(workspace_id: int, user_id: int, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        members.remove(session, workspace_id=workspace_id, by=user, user_id=user_id)
    return Response(status_code=204)


@router.patch("/workspaces/{workspace_id}/settings", status_code=204)
def team_settings(workspace_id: int, body: TeamSettingsIn, user: CurrentUser, db: Db) -> Response:
    """Admins: allow or block members' use of public store GPTs by other builders."""
    with db.session() as session:
        members.set_store_gpts(session, workspace_id=workspace_id, by=user, allowed=body.allow_store_gpts)
    return Response(status_code=204)
