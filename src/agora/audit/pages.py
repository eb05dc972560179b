"""A team's audit log page, /workspaces/{id}/audit (filters, pages of 100), and its JSONL export."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from agora.accounts.models import User
from agora.audit import chain, queries
from agora.db import begin_writing
from agora.errors import AgoraError
from agora.inputs import Id, Text, id_or_none
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render
from agora.workspaces import members

router = APIRouter()


@router.get("/workspaces/{workspace_id}/audit")
def audit_page(request: Request, workspace_id: Id, user: CurrentUser, db: Db, action: Text = "", actor: Text = "", since: Text = "",
               until: Text = "", before: Text = "") -> Response:
    with db.session() as session:
        workspace = members.team(session, workspace_id, user, manage=True)
    values = {"action": action, "actor": actor, "since": since, "until": until}
    shown: dict[str, Any] = {"workspace": workspace, "values": values, "categories": queries.CATEGORIES}
    try:
        filters = queries.Filters.parse(action, actor, since, until)
    except AgoraError as error:
        return render(request, "audit/log.html", error.status, entries=[], errors={error.field: error.message}, **shown)
    entries, next_before = queries.page(db, workspace_id, filters, before=id_or_none(before))
    query = filters.query()
    return render(request, "audit/log.html", entries=entries, filtered=bool(query), query=urlencode(query),
                  next_page=urlencode({**query, "before": next_before}) if next_before else None, **shown)


@router.get("/workspaces/{workspace_id}/audit/export.jsonl")
def export(workspace_id: Id, user: CurrentUser, db: Db, action: Text = "", actor: Text = "", since: Text = "", until: Text = "") -> Response:
    """Every matching entry, oldest first, one JSON object a line: what the page shows, with the hashes."""
    filters = queries.Filters.parse(action, actor, since, until)
    through = _record_export(db, user, workspace_id, filters)
    lines = (json.dumps(record, ensure_ascii=False) + "\n" for record in queries.export(db, workspace_id, filters, through=through))
    return StreamingResponse(lines, media_type="application/jsonl",
                             headers={"Content-Disposition": f'attachment; filename="agora-audit-{workspace_id}.jsonl"'})


def _record_export(db: Db, user: User, workspace_id: int, filters: queries.Filters) -> int:
    """The export is itself an entry (the last one it contains); returns its number."""
    with db.session() as session:
        begin_writing(session)  # SQLite: it reads, then appends; as the writer from the start, what it read holds
        members.team(session, workspace_id, user, manage=True)
        entry = chain.record(session, "audit.exported", actor=user, workspace_id=workspace_id, target_type="workspace", target_id=workspace_id,
                             details={"filters": filters.query()})
        return entry.seq
