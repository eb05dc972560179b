"""JSON API for a GPT's editors: whether it can be featured, and the request to be featured (store.featured_requests)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel

from agora.inputs import Text
from agora.store import featured_requests
from agora.store.models import FeaturedRequest
from agora.web.deps import CurrentUser, Db
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api", tags=["store"], route_class=JsonRoute)


class FeaturedRequestIn(BaseModel):
    pitch: Text = ""


class ProblemOut(BaseModel):
    code: str
    message: str


class FeaturedRequestOut(BaseModel):
    id: int
    state: str  # open, picked, declined
    pitch: str
    week: str | None  # the ISO week it was picked for, like 2026-W50
    reason: str | None  # why it was declined
    created_at: datetime
    decided_at: datetime | None


class FeaturedStandingOut(BaseModel):
    gpt_id: str
    can_request: bool
    missing: list[ProblemOut]  # what keeps the GPT from being featured, each with its fix
    request: FeaturedRequestOut | None  # the latest request, open or decided


def _out(found: FeaturedRequest) -> FeaturedRequestOut:
    return FeaturedRequestOut(id=found.id, state=found.state, pitch=found.pitch, week=found.week or None,
                              reason=found.reason or None, created_at=found.created_at, decided_at=found.decided_at)


@router.get("/gpts/{gpt_id}/featured-request", response_model=FeaturedStandingOut)
def standing(gpt_id: Text, db: Db, user: CurrentUser):
    """For the GPT's editors: can it be featured (a listed GPT of a verified builder), and its latest request."""
    with db.session() as session:
        found = featured_requests.standing(session, user, gpt_id)
        return FeaturedStandingOut(gpt_id=found.gpt.id, can_request=found.can_request,
                                   missing=[ProblemOut(code=p.code, message=p.message) for p in found.problems],
                                   request=_out(found.latest) if found.latest else None)


@router.post("/gpts/{gpt_id}/featured-request", response_model=FeaturedRequestOut, status_code=201,
             responses={200: {"description": "The GPT already had an open request: that one (a retry makes no second)."}})
def request_featured(gpt_id: Text, body: FeaturedRequestIn, db: Db, user: CurrentUser, response: Response):
    """Ask the administrators to feature the GPT, with an optional pitch (at most 280 characters)."""
    with db.session() as session:
        found, made = featured_requests.request(session, user, gpt_id=gpt_id, pitch=body.pitch)
        session.flush()
        if not made:
            response.status_code = 200
        return _out(found)
