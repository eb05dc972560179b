"""Workspace pages: the list with switching, creating and each one's shared GPTs; a team's members,
invitations and settings; an invitation's landing page. The same services as the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from agora.errors import AgoraError
from agora.inputs import Id, Text
from agora.web.deps import AppSettings, CurrentUser, Db
from agora.web.templating import render
from agora.workspaces import members, service, shelf
from agora.workspaces.api import send_invite

router = APIRouter()


@router.get("/workspaces")
def workspaces_page(request: Request, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        active = service.active_workspace_id(session, user)
        rows = service.of_user(session, user)
        shelves = shelf.shared_gpts(session, user, [workspace.id for workspace, _role in rows], request.state.language)
    return render(request, "workspaces/list.html", rows=rows, active=active, user=user, shelves=shelves)


@router.post("/workspaces")
def create_from_page(user: CurrentUser, db: Db, name: Annotated[Text, Form()] = "") -> Response:
    with db.session() as session:
        service.create_team(session, owner=user, name=name)
    return RedirectResponse("/workspaces", status_code=303)


@router.post("/workspaces/{workspace_id}/switch")
def switch_from_page(workspace_id: Id, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        service.switch(session, user, workspace_id)
    return RedirectResponse("/workspaces", status_code=303)


@router.get("/invites/{token}", name="invite_page")
def invite_page(request: Request, token: Text, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        face = members.invite_face(session, token=token)
    return render(request, "workspaces/invite.html", token=token, user=user, face=face)


@router.post("/invites/{token}")
def accept_from_page(token: Text, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        members.accept(session, token=token, user=user)
    return RedirectResponse("/workspaces", status_code=303)


@router.get("/workspaces/{workspace_id}", name="team_page")
def team_page(request: Request, workspace_id: Id, user: CurrentUser, db: Db) -> Response:
    return _team(request, db, user, workspace_id, notice=request.query_params.get("notice"))


@router.post("/workspaces/{workspace_id}/invites")
def invite_from_page(request: Request, workspace_id: Id, user: CurrentUser, db: Db, settings: AppSettings,
                     email: Annotated[Text, Form()] = "", role: Annotated[Text, Form()] = "member") -> Response:
    try:
        url, note = send_invite(request, db, settings, user, workspace_id=workspace_id, email=email, role=role)
    except AgoraError as error:
        return _team(request, db, user, workspace_id, error=error.message, status=error.status, typed=email)
    # Rendered, not redirected: the link is a secret shown once, and must not land in a URL or a log.
    return _team(request, db, user, workspace_id, invited={"email": email.strip(), "url": url, "note": note})


@router.post("/workspaces/{workspace_id}/members/{user_id}/role")
def role_from_page(request: Request, workspace_id: Id, user_id: Id, user: CurrentUser, db: Db, role: Annotated[Text, Form()] = "") -> Response:
    return _change(request, db, user, workspace_id, "role-changed",
                   lambda session: members.set_role(session, workspace_id=workspace_id, by=user, user_id=user_id, role=role))


@router.post("/workspaces/{workspace_id}/members/{user_id}/remove")
def remove_from_page(request: Request, workspace_id: Id, user_id: Id, user: CurrentUser, db: Db) -> Response:
    response = _change(request, db, user, workspace_id, "removed",
                       lambda session: members.remove(session, workspace_id=workspace_id, by=user, user_id=user_id))
    if user_id == user.id and response.status_code == 303:
        return RedirectResponse("/workspaces", status_code=303)  # they left: the team's page is no longer theirs
    return response


@router.post("/workspaces/{workspace_id}/invites/{invite_id}/revoke")
def revoke_from_page(request: Request, workspace_id: Id, invite_id: Id, user: CurrentUser, db: Db) -> Response:
    return _change(request, db, user, workspace_id, "revoked",
                   lambda session: members.revoke_invite(session, workspace_id=workspace_id, by=user, invite_id=invite_id))


@router.post("/workspaces/{workspace_id}/settings")
def settings_from_page(request: Request, workspace_id: Id, user: CurrentUser, db: Db, allow_store_gpts: Annotated[Text, Form()] = "",
                       outbound_domains: Annotated[Text, Form(max_length=30_000)] = "") -> Response:
    def save(session: Session) -> None:
        members.set_store_gpts(session, workspace_id=workspace_id, by=user, allowed=allow_store_gpts == "on")
        members.set_outbound_domains(session, workspace_id=workspace_id, by=user, domains=outbound_domains.replace(",", "\n").splitlines())

    return _change(request, db, user, workspace_id, "saved", save)


def _change(request: Request, db: Db, user, workspace_id: int, notice: str, act: Callable) -> Response:
    try:
        with db.session() as session:
            act(session)
    except AgoraError as error:
        return _team(request, db, user, workspace_id, error=error.message, status=error.status)
    return RedirectResponse(f"/workspaces/{workspace_id}?notice={notice}", status_code=303)


def _team(request: Request, db: Db, user, workspace_id: int, *, status: int = 200, **shown) -> Response:
    with db.session() as session:
        roster = members.roster(session, workspace_id=workspace_id, user=user)  # 404 for non-members
    return render(request, "workspaces/team.html", status, roster=roster, user=user, managers=members.MANAGERS, **shown)
