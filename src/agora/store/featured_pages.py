"""The builder's page for a GPT's request to be featured: what is missing, the request form with a short pitch, its state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.errors import AgoraError, Forbidden, NotFound
from agora.inputs import Text
from agora.store import featured_requests
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render

router = APIRouter()


def _page(request: Request, db: Db, user, gpt_id: str, status: int = 200, **context) -> Response:
    with db.session() as session:
        found = featured_requests.standing(session, user, gpt_id)
        return render(request, "store/featured_request.html", status, standing=found, max_pitch=featured_requests.MAX_PITCH, **context)


@router.get("/gpts/{gpt_id}/featured")
def request_page(request: Request, gpt_id: Text, db: Db, user: CurrentUser) -> Response:
    return _page(request, db, user, gpt_id, notice=request.query_params.get("notice"))


@router.post("/gpts/{gpt_id}/featured")
def request_featured(request: Request, gpt_id: Text, db: Db, user: CurrentUser, pitch: Annotated[Text, Form()] = "") -> Response:
    try:
        with db.session() as session:
            featured_requests.request(session, user, gpt_id=gpt_id, pitch=pitch)
    except AgoraError as error:
        if isinstance(error, Forbidden | NotFound):
            raise
        return _page(request, db, user, gpt_id, error.status, errors={error.field or "form": error.message}, values={"pitch": pitch})
    return RedirectResponse(f"/gpts/{gpt_id}/featured?notice=requested", status_code=303)
