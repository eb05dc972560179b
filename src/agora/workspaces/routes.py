"""Workspace pages: the list with switching, creating and each one's shared GPTs, and an invitation's landing page."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.workspaces import members, service, shelf
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render

router = APIRouter()


@router.get("/workspaces")
def workspaces_page(request: Request, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        active = service.active_workspace_id(session, user)
        rows = service.of_user(session, user)
        shelves = shelf.shared_gpts(session, user, [workspace.id for workspace, _role in rows], request.state.language)
    return render(request, "workspaces/list.html", rows=rows, active=active, user=user, shelves=shelves)


@router.post("/workspaces")
def create_from_page(user: CurrentUser, db: Db, name: str = Form("")) -> Response:
    with db.session() as session:
        service.create_team(session, owner=user, name=name)
    return RedirectResponse("/workspaces", status_code=303)


@router.post("/workspaces/{workspace_id}/switch")
def switch_from_page(workspace_id: int, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        service.switch(session, user, workspace_id)
    return RedirectResponse("/workspaces", status_code=303)


@router.get("/invites/{token}", name="invite_page")
def invite_page(request: Request, token: str, user: CurrentUser) -> Response:
    return render(request, "workspaces/invite.html", token=token, user=user)


@router.post("/invites/{token}")
def accept_from_page(token: str, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        members.accept(session, token=token, user=user)
    return RedirectResponse("/workspaces", status_code=303)
