"""A team's retention page, /workspaces/{id}/retention: how long conversations are kept, and the legal hold."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.accounts.models import User
from agora.errors import AgoraError
from agora.inputs import Id, Text
from agora.retention import service
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render
from agora.workspaces import members

router = APIRouter()
FormText = Annotated[Text, Form()]


def _page(request: Request, db: Db, user: User, workspace_id: int, *, status: int = 200, **shown) -> Response:
    with db.session() as session:
        workspace = members.team(session, workspace_id, user, manage=True)
        rule = service.rule_of(session, workspace_id)
    return render(request, "retention/settings.html", status, workspace=workspace, rule=rule, choices=service.CHOICES, **shown)


@router.get("/workspaces/{workspace_id}/retention")
def retention_page(request: Request, workspace_id: Id, user: CurrentUser, db: Db) -> Response:
    return _page(request, db, user, workspace_id, notice=request.query_params.get("notice"))


@router.post("/workspaces/{workspace_id}/retention")
def save(request: Request, workspace_id: Id, user: CurrentUser, db: Db, days: FormText = "", legal_hold: FormText = "",
         hold_reason: FormText = "") -> Response:
    try:
        kept = service.days_from_form(days)
        with db.session() as session:
            service.set_rule(session, workspace_id=workspace_id, by=user, days=kept, legal_hold=legal_hold == "on", hold_reason=hold_reason)
    except AgoraError as error:
        return _page(request, db, user, workspace_id, status=error.status, errors={error.field: error.message})
    return RedirectResponse(f"/workspaces/{workspace_id}/retention?notice=saved", status_code=303)
