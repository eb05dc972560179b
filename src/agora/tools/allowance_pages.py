"""Where a person sees the tool calls they "always allow" and revokes them: /account/allowed-tools, and its JSON API."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from agora.inputs import Id
from agora.tools import allowances
from agora.web.deps import CurrentUser, Db
from agora.web.json_route import JsonRoute
from agora.web.templating import render

PAGE = "/account/allowed-tools"
router = APIRouter()
api = APIRouter(prefix="/api/account/allowed-tools", tags=["account"], route_class=JsonRoute)


@router.get(PAGE)
def allowed_tools_page(request: Request, db: Db, viewer: CurrentUser) -> Response:
    with db.session() as session:
        listed = allowances.listed(session, user_id=viewer.id)
    return render(request, "accounts/allowed_tools.html", allowances=listed, revoked=request.query_params.get("revoked"))


@router.post(PAGE + "/{allowance_id}/revoke")
def revoke_from_page(allowance_id: Id, db: Db, viewer: CurrentUser) -> Response:
    with db.session() as session:
        allowances.revoke(session, user_id=viewer.id, allowance_id=allowance_id)
    return RedirectResponse(f"{PAGE}?revoked=1", status_code=303)


class AllowanceOut(BaseModel):
    id: int
    gpt_id: str
    gpt_name: str
    tool: str  # the operation's name, as the model calls it
    title: str
    server: str  # where its calls go
    created_at: datetime


@api.get("")
def list_allowed(db: Db, viewer: CurrentUser) -> list[AllowanceOut]:
    """The operations you "always allow", per GPT: their calls run in your chats without asking."""
    with db.session() as session:
        return [AllowanceOut(**vars(a)) for a in allowances.listed(session, user_id=viewer.id)]


@api.delete("/{allowance_id}", status_code=204)
def revoke_allowed(allowance_id: Id, db: Db, viewer: CurrentUser) -> Response:
    """Ask again before the operation's next call (204 also when it was already revoked)."""
    with db.session() as session:
        allowances.revoke(session, user_id=viewer.id, allowance_id=allowance_id)
    return Response(status_code=204)
