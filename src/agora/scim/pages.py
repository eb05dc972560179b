"""A team's provisioning page, /workspaces/{id}/scim: the SCIM base address, and bearer tokens made (shown once) and revoked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.accounts.models import User
from agora.errors import AgoraError
from agora.inputs import Id, Text
from agora.scim import tokens
from agora.scim.api import PREFIX
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render
from agora.workspaces import members

router = APIRouter()


def _page(request: Request, db: Db, user: User, workspace_id: int, *, status: int = 200, **shown) -> Response:
    with db.session() as session:
        workspace = members.team(session, workspace_id, user, manage=True)
        listed = tokens.of_workspace(session, workspace_id)
    base_url = request.app.state.settings.resolved_public_url() + PREFIX
    return render(request, "scim/tokens.html", status, workspace=workspace, tokens=listed, base_url=base_url, **shown)


@router.get("/workspaces/{workspace_id}/scim")
def provisioning(request: Request, workspace_id: Id, user: CurrentUser, db: Db) -> Response:
    return _page(request, db, user, workspace_id, notice=request.query_params.get("notice"))


@router.post("/workspaces/{workspace_id}/scim/tokens")
def create_token(request: Request, workspace_id: Id, user: CurrentUser, db: Db, name: Annotated[Text, Form()] = "") -> Response:
    try:
        with db.session() as session:
            members.team(session, workspace_id, user, manage=True)
            token = tokens.create(session, workspace_id=workspace_id, by=user, name=name)
    except AgoraError as error:
        return _page(request, db, user, workspace_id, status=error.status, errors={error.field: error.message}, values={"name": name})
    # Rendered, not redirected: the token is a secret shown once, and must not land in a URL or a log.
    return _page(request, db, user, workspace_id, created=token)


@router.post("/workspaces/{workspace_id}/scim/tokens/{token_id}/revoke")
def revoke_token(request: Request, workspace_id: Id, token_id: Id, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        members.team(session, workspace_id, user, manage=True)
        tokens.revoke(session, workspace_id=workspace_id, token_id=token_id, by=user)
    return RedirectResponse(f"/workspaces/{workspace_id}/scim?notice=revoked", status_code=303)
