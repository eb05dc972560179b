"""Store pages: the front, category pages, search, featured weeks and builder profiles.

All of them read listings (public GPTs only) through the store services; the GPT page
itself lives in store/routes.py with the builder's visibility rules.
"""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from agora.errors import AgoraError
from agora.inputs import Text
from agora.store import browse, builders, featured, front, service
from agora.store import search as store_search
from agora.store.deps import Caches
from agora.store.models import Listing
from agora.web.deps import Db, Viewer
from agora.web.templating import render

router = APIRouter()
BUILDER_GPTS = 48


def _verified(session, listings: list[Listing]) -> set[int]:
    return builders.verified_builders(session, {listing.builder_id for listing in listings})


def _week_label(year: int, week: int) -> str:
    return f"{year}-W{week:02d}"


@router.get("/")
def store_front(request: Request, db: Db, viewer: Viewer, caches: Caches) -> Response:
    with db.session() as session:
        shown = front.front(session, caches.front)
        everyone = [*shown.featured, *shown.trending, *(listing for shelf in shown.shelves for listing in shelf.listings)]
        verified = _verified(session, everyone)
    return render(request, "store/front.html", front=shown, verified=verified, week=_week_label(*featured.current_week()))


@router.get("/store/featured/{week}")
def featured_week(request: Request, week: Text, db: Db, viewer: Viewer) -> Response:
    try:
        year, number = featured.parse_week(week)
    except AgoraError:
        return render(request, "error.html", 404, title_key="not_found")
    monday = date.fromisocalendar(year, number, 1)
    previous, following = (monday - timedelta(days=7)).isocalendar(), (monday + timedelta(days=7)).isocalendar()
    with db.session() as session:
        listings = featured.picks(session, year, number)
        verified = _verified(session, listings)
    upcoming = (following[0], following[1]) > featured.current_week()
    return render(
        request, "store/featured.html", listings=listings, verified=verified, week=_week_label(year, number),
        previous=_week_label(previous[0], previous[1]), next=None if upcoming else _week_label(following[0], following[1]),
    )


@router.get("/store/{slug}")
def category_page(
    request: Request, slug: Text, db: Db, viewer: Viewer, caches: Caches, sort: Text = "trending", lang: Text = "",
    cursor: Text | None = None,
) -> Response:
    with db.session() as session:
        category = service.category_by_slug(session, slug)
        if category is None or category.hidden:
            return render(request, "error.html", 404, title_key="not_found")
        language = lang if lang in ("en", "fr") else None
        # The tabs are the front's categories, cached (no query most of the time); read first, as
        # computing the front detaches the listings it read from this session.
        tabs = front.front(session, caches.front).categories
        try:
            results = browse.category_page(session, category, sort=sort, language=language, cursor=cursor)
        except AgoraError as error:
            return render(request, "error.html", error.status, message=error.message)
        count = browse.counts_by_category(session).get(category.id, 0)
        verified = _verified(session, results.listings)
    return render(
        request, "store/browse.html", category=category, results=results, count=count, sort=sort,
        filter_lang=language, verified=verified, tabs=tabs, first_rank=browse.first_rank(cursor, sort),
    )


@router.get("/search")
def search_page(request: Request, db: Db, viewer: Viewer, caches: Caches, q: str = "", cursor: Text | None = None) -> Response:
    with db.session() as session:
        try:
            results = store_search.search(session, q[:200], cursor=cursor, caches=caches)
        except AgoraError as error:
            return render(request, "error.html", error.status, message=error.message)
        verified = _verified(session, results.listings)
    return render(request, "store/results.html", q=q, results=results, verified=verified)


@router.get("/builders/{handle}")
def builder_page(request: Request, handle: Text, db: Db, viewer: Viewer) -> Response:
    with db.session() as session:
        try:
            profile = builders.profile(session, handle)
        except AgoraError:
            return render(request, "error.html", 404, title_key="not_found")
        listings = browse.by_builder(session, profile.builder.id, limit=BUILDER_GPTS)
        verified = {profile.builder.id} if profile.verified else set()
    return render(request, "store/builder.html", profile=profile, listings=listings, verified=verified)
