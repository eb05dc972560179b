"""The featured picker (/admin/featured): a week's picks in order, the builders' requests, and the store's search
to pick from; each pick, move, removal and decision goes through store.featured and store.featured_requests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from agora.errors import AgoraError, Forbidden, InvalidInput
from agora.i18n import gettext as _
from agora.inputs import Id, Text
from agora.store import builders, featured, featured_requests
from agora.store import search as store_search
from agora.store.deps import Caches
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render

router = APIRouter(prefix="/admin")
RESULTS = 10  # search results shown: enough to find a GPT by name or builder without a second page


def _admin_only(user) -> None:
    if not user.is_admin:
        raise Forbidden(_("This page is for administrators."))


def _shift(year: int, week: int, weeks: int) -> str:
    monday = date.fromisocalendar(year, week, 1) + timedelta(weeks=weeks)
    return featured.week_label(*featured.current_week(monday))


def _page(request: Request, db: Db, caches, year: int, week: int, q: str = "", status: int = 200, **context) -> Response:
    with db.session() as session:
        week_picks = featured.week_picks(session, year, week)
        results = store_search.search(session, q, limit=RESULTS, caches=caches).listings if q.strip() else []
        verified = builders.verified_builders(session, {listing.builder_id for listing in results})
        queued = featured_requests.queue(session)
        return render(request, "store/admin_featured.html", status, week=featured.week_label(year, week), picks=week_picks,
                      picked={p.gpt_id for p in week_picks}, requests=queued, q=q, results=results,
                      queued_keys={f"request-{item.request.id}" for item in queued},  # an error about another is shown on top
                      verified=verified, previous_week=_shift(year, week, -1), next_week=_shift(year, week, 1),
                      max_picks=featured.MAX_PICKS, **context)


def _back(week: str, q: str = "") -> RedirectResponse:
    return RedirectResponse("/admin/featured?" + urlencode({"week": week, **({"q": q} if q else {})}), status_code=303)


@router.get("/featured")
def featured_page(request: Request, db: Db, caches: Caches, user: CurrentUser, week: Text = "",
                  q: Annotated[Text, Query(max_length=200)] = "") -> Response:
    _admin_only(user)
    year, number = featured.parse_week(week) if week else featured.current_week()
    return _page(request, db, caches, year, number, q)


@router.post("/featured")
def change_featured(
    request: Request, db: Db, caches: Caches, user: CurrentUser,
    week: Annotated[Text, Form()] = "", gpt_id: Annotated[Text, Form()] = "", action: Annotated[Text, Form()] = "pick",
    q: Annotated[Text, Form(max_length=200)] = "",
) -> Response:
    _admin_only(user)
    year, number = featured.parse_week(week)
    gpt_id = gpt_id.strip().rstrip("/").rsplit("/", 1)[-1]  # a pasted /g/... link works as well as an id
    try:
        with db.session() as session:
            if action == "remove":
                featured.unpick(session, user, gpt_id=gpt_id, year=year, week=number)
            elif action in ("up", "down"):
                featured.move(session, user, gpt_id=gpt_id, year=year, week=number, up=action == "up")
            elif action == "pick":
                featured.pick(session, user, gpt_id=gpt_id, year=year, week=number)
            else:
                raise InvalidInput(_("Unknown action %(value)s.", value=repr(action)), field="action")
    except AgoraError as error:
        if isinstance(error, Forbidden):
            raise
        key = "pick" if q else "gpt_id"  # picked from the search results, or typed in the id field
        return _page(request, db, caches, year, number, q, error.status, errors={key: error.message}, values={"gpt_id": gpt_id})
    return _back(featured.week_label(year, number), q)


@router.post("/featured/requests/{request_id}")
def decide_request(
    request: Request, request_id: Id, db: Db, caches: Caches, user: CurrentUser,
    action: Annotated[Text, Form()] = "", week: Annotated[Text, Form()] = "", reason: Annotated[Text, Form()] = "",
    shown_week: Annotated[Text, Form()] = "",
) -> Response:
    _admin_only(user)
    year, number = featured.parse_week(shown_week) if shown_week else featured.current_week()
    try:
        with db.session() as session:
            if action == "pick":
                chosen_year, chosen_week = featured.parse_week(week)
                featured_requests.pick(session, user, request_id, year=chosen_year, week=chosen_week)
                year, number = chosen_year, chosen_week  # show the week it went into
            elif action == "decline":
                featured_requests.decline(session, user, request_id, reason=reason)
            else:
                raise InvalidInput(_("Unknown action %(value)s.", value=repr(action)), field="action")
    except AgoraError as error:
        if isinstance(error, Forbidden):
            raise
        return _page(request, db, caches, year, number, status=error.status, errors={f"request-{request_id}": error.message},
                     values={f"reason-{request_id}": reason, f"week-{request_id}": week})
    return _back(featured.week_label(year, number))
