"""Catalogue pages: the home page by category, a category, search and a GPT's page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from agora.accounts.models import User
from agora.gpts import service as gpts
from agora.gpts.models import Gpt
from agora.store import service
from agora.web.deps import Db, Viewer
from agora.web.templating import render

router = APIRouter()
HOME_CARDS_PER_CATEGORY = 8
PAGE_SIZE = 48


@router.get("/")
def home(request: Request, db: Db, viewer: Viewer) -> Response:
    language = request.state.language
    with db.session() as session:
        counts = service.public_count_by_category(session)
        sections = [
            (category, counts.get(category.id, 0), service.category_cards(session, category, language, limit=HOME_CARDS_PER_CATEGORY))
            for category in service.visible_categories(session)
            if counts.get(category.id)
        ]
    return render(request, "store/home.html", sections=sections, total=sum(counts.values()))


@router.get("/store/{slug}")
def category_page(request: Request, slug: str, db: Db, viewer: Viewer, page: int = 1) -> Response:
    language = request.state.language
    page = max(page, 1)
    with db.session() as session:
        category = service.category_by_slug(session, slug)
        if category is None or category.hidden:
            return render(request, "error.html", 404, title_key="not_found")
        count = service.public_count_by_category(session).get(category.id, 0)
        cards = service.category_cards(session, category, language, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-count // PAGE_SIZE))
    return render(request, "store/category.html", category=category, cards=cards, count=count, page=page, pages=pages)


@router.get("/search")
def search_page(request: Request, db: Db, viewer: Viewer, q: str = "") -> Response:
    with db.session() as session:
        cards = service.search_cards(session, q, request.state.language) if q.strip() else []
    return render(request, "store/search.html", q=q, cards=cards)


@router.get("/g/{gpt_id}")
def gpt_page(request: Request, gpt_id: str, db: Db, viewer: Viewer) -> Response:
    language = request.state.language
    with db.session() as session:
        gpt = session.get(Gpt, gpt_id)
        # Until the builder issue brings the full visibility rules, only public and link GPTs show.
        if gpt is None or gpt.deleted_at or gpt.visibility not in ("public", "link"):
            return render(request, "error.html", 404, title_key="not_found")
        content = gpts.published_content(session, gpt)
        if content is None:
            return render(request, "error.html", 404, title_key="not_found")
        builder = session.get(User, gpt.owner_id)
        category = service.category_by_slug(session, content.category)
    return render(
        request,
        "store/gpt.html",
        gpt=gpt,
        name=content.text("name", language),
        description=content.text("description", language),
        welcome=content.text("welcome_message", language),
        starters=content.text("starters", language),
        content=content,
        builder=builder,
        category=category,
    )
