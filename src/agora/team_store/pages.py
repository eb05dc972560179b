"""A workspace's own store, /workspaces/{id}/store: its members browse it, its managers arrange it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.accounts.models import User
from agora.errors import AgoraError
from agora.inputs import Id, Text, id_or_none
from agora.team_store import service
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render
from agora.workspaces import members

router = APIRouter()
FormText = Annotated[Text, Form()]


def _page(request: Request, db: Db, user: User, workspace_id: int, *, status: int = 200, **shown) -> Response:
    with db.session() as session:
        shop = service.front(session, user, workspace_id, request.state.language)
        workspace = members.team(session, workspace_id, user)
        manages = members.role_in(session, workspace_id, user) in members.MANAGERS
    return render(request, "team_store/front.html", status, workspace=workspace, shop=shop, manages=manages, **shown)


@router.get("/workspaces/{workspace_id}/store")
def team_store(request: Request, workspace_id: Id, user: CurrentUser, db: Db) -> Response:
    return _page(request, db, user, workspace_id, notice=request.query_params.get("notice"))


@router.post("/workspaces/{workspace_id}/store/categories")
def add_category(request: Request, workspace_id: Id, user: CurrentUser, db: Db, name: FormText = "") -> Response:
    try:
        with db.session() as session:
            service.add_category(session, workspace_id=workspace_id, by=user, name=name)
    except AgoraError as error:
        return _page(request, db, user, workspace_id, status=error.status, errors={error.field or "name": error.message}, values={"name": name})
    return RedirectResponse(f"/workspaces/{workspace_id}/store?notice=saved", status_code=303)


@router.post("/workspaces/{workspace_id}/store/place")
def place(request: Request, workspace_id: Id, user: CurrentUser, db: Db, gpt_id: FormText = "", category: FormText = "",
          featured: FormText = "") -> Response:
    try:
        with db.session() as session:
            service.place(session, workspace_id=workspace_id, by=user, gpt_id=gpt_id, category_id=id_or_none(category), featured=featured == "on")
    except AgoraError as error:
        if error.status in (403, 404):
            raise
        return _page(request, db, user, workspace_id, status=error.status, errors={error.field or "category": error.message})
    return RedirectResponse(f"/workspaces/{workspace_id}/store?notice=saved", status_code=303)
