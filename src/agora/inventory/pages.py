"""A team's GPT inventory, /workspaces/{id}/gpts: every GPT with its builder, audience, knowledge and use; CSV; bulk actions."""

from __future__ import annotations

import csv
import io
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.accounts.models import User
from agora.errors import AgoraError
from agora.gpts.content import VISIBILITIES
from agora.inputs import Id, Text, id_or_none
from agora.inventory import service
from agora.web.deps import AppSettings, CurrentUser, Db
from agora.web.templating import render
from agora.workspaces import members

router = APIRouter()
FormText = Annotated[Text, Form()]
CSV_COLUMNS = ("id", "name", "builder", "builder_email", "visibility", "who_can_use", "published", "knowledge_files",
               "conversations_30_days", "last_edited_utc")


def _page(request: Request, db: Db, user: User, workspace_id: int, filters: service.Filters, *, status: int = 200, **shown) -> Response:
    with db.session() as session:
        roster = members.roster(session, workspace_id=workspace_id, user=user)
        members.team(session, workspace_id, user, manage=True)
        listed = service.rows(session, workspace_id, filters)
        heir = service.heir_of(session, workspace_id)
    query = urlencode({k: v for k, v in (("q", filters.q), ("owner", filters.owner_id or ""), ("visibility", filters.visibility)) if v})
    return render(request, "inventory/gpts.html", status, workspace=roster.workspace, members=roster.members, rows=listed,
                  filters=filters, query=query, visibilities=VISIBILITIES, heir=heir,
                  managers=members.MANAGERS, **shown)


@router.get("/workspaces/{workspace_id}/gpts")
def inventory_page(request: Request, workspace_id: Id, user: CurrentUser, db: Db, q: Text = "", owner: Text = "", visibility: Text = "") -> Response:
    try:
        filters = service.parse_filters(q, owner, visibility)
    except AgoraError as error:
        return _page(request, db, user, workspace_id, service.Filters(), status=error.status, errors={error.field: error.message})
    return _page(request, db, user, workspace_id, filters, notice=request.query_params.get("notice"),
                 count=id_or_none(request.query_params.get("count")) or 0)


@router.get("/workspaces/{workspace_id}/gpts.csv")
def inventory_csv(workspace_id: Id, user: CurrentUser, db: Db, q: Text = "", owner: Text = "", visibility: Text = "") -> Response:
    filters = service.parse_filters(q, owner, visibility)
    with db.session() as session:
        members.team(session, workspace_id, user, manage=True)
        listed = service.rows(session, workspace_id, filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in listed:
        writer.writerow([row.id, _cell(row.name), _cell(row.owner), row.owner_email, row.visibility, service.AUDIENCES[row.visibility],
                         "yes" if row.published else "no", row.knowledge_files, row.conversations_30d,
                         row.updated_at.strftime("%Y-%m-%d %H:%M:%S")])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="agora-gpts-{workspace_id}.csv"'})


def _cell(text: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula: a GPT named "=HYPERLINK(...)" must stay text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.post("/workspaces/{workspace_id}/gpts/bulk")
async def bulk(request: Request, workspace_id: Id, user: CurrentUser, db: Db, settings: AppSettings, action: FormText = "",
               visibility: FormText = "", to_user_id: FormText = "") -> Response:
    form = await request.form()
    gpt_ids = [str(value) for value in form.getlist("gpt_ids")]
    try:
        with db.session() as session:
            done = service.bulk(session, settings, workspace_id=workspace_id, by=user, action=action, gpt_ids=gpt_ids,
                                visibility=visibility, to_user_id=id_or_none(to_user_id))
    except AgoraError as error:
        return _page(request, db, user, workspace_id, service.Filters(), status=error.status, errors={error.field or "action": error.message})
    return RedirectResponse(f"/workspaces/{workspace_id}/gpts?notice=done&count={done}", status_code=303)


@router.post("/workspaces/{workspace_id}/gpts/heir")
def choose_heir(request: Request, workspace_id: Id, user: CurrentUser, db: Db, heir: FormText = "") -> Response:
    try:
        with db.session() as session:
            service.choose_heir(session, workspace_id=workspace_id, by=user, user_id=id_or_none(heir) or 0)
    except AgoraError as error:
        return _page(request, db, user, workspace_id, service.Filters(), status=error.status, errors={error.field: error.message})
    return RedirectResponse(f"/workspaces/{workspace_id}/gpts?notice=heir", status_code=303)
