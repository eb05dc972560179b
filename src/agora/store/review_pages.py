"""Review forms on a GPT's page: rate and review, remove, and the builder's reply."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.errors import AgoraError, InvalidInput
from agora.gpts import access
from agora.i18n import gettext as _
from agora.inputs import Id, Text
from agora.store import reviews
from agora.store.models import Review
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render

router = APIRouter()


def _to_gpt(gpt_id: str, anchor: str = "reviews") -> RedirectResponse:
    return RedirectResponse(f"/g/{gpt_id}#{anchor}", status_code=303)


@router.post("/g/{gpt_id}/review")
def rate(request: Request, gpt_id: Text, db: Db, user: CurrentUser,
         rating: Annotated[Text, Form()] = "", body: Annotated[Text, Form()] = "", action: Annotated[Text, Form()] = "save") -> Response:
    try:
        with db.session() as session:
            gpt = access.find(session, gpt_id, user, "use")
            if action == "remove":
                reviews.remove(session, user, gpt_id)
            else:
                if not rating.isdigit():
                    raise InvalidInput(_("Ratings are whole stars from 1 to 5."), field="rating")
                reviews.rate(session, user, gpt, rating=int(rating), body=body)
    except AgoraError as error:
        return render(request, "error.html", error.status, message=error.message)
    return _to_gpt(gpt_id)


@router.post("/reviews/{review_id}/reply")
def reply(request: Request, review_id: Id, db: Db, user: CurrentUser, body: Annotated[Text, Form()] = "") -> Response:
    try:
        with db.session() as session:
            review: Review = reviews.reply(session, user, review_id, body=body)
            gpt_id = review.gpt_id
    except AgoraError as error:
        return render(request, "error.html", error.status, message=error.message)
    return _to_gpt(gpt_id, f"review-{review_id}")
