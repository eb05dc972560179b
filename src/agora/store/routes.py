"""Catalogue pages: the home page by category, a category, search and a GPT's page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from agora.accounts.models import User
from agora.gpts import access, listing
from agora.gpts import service as gpts
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
        counts = service.public_count_by_category(session, viewer)
        sections = [
            (
                category,
                counts.get(category.id, 0),
                service.category_cards(session, category, language, limit=HOME_CARDS_PER_CATEGORY, viewer=viewer),
            )
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
        count = service.public_count_by_category(session, viewer).get(category.id, 0)
        cards = service.category_cards(session, category, language, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, viewer=viewer)
    pages = max(1, -(-count // PAGE_SIZE))
    return render(request, "store/category.html", category=category, cards=cards, count=count, page=page, pages=pages)


@router.get("/search")
def search_page(request: Request, db: Db, viewer: Viewer, q: str = "") -> Response:
    with db.session() as session:
        cards = service.search_cards(session, q, request.state.language, viewer=viewer) if q.strip() else []
    return render(request, "store/search.html", q=q, cards=cards)


@router.get("/g/{gpt_id}")
def gpt_page(request: Request, gpt_id: str, db: Db, viewer: Viewer) -> Response:
    language = request.state.language
    with db.session() as session:
        gpt = access.find(session, gpt_id, viewer)  # 404 for anyone it is not shared with
        content = gpts.published_content(session, gpt)
        if content is None:  # only its editors can see an unpublished GPT: send them to the draft
            return RedirectResponse(f"/gpts/{gpt.id}/edit", status_code=303)
        can_edit = access.can(session, gpt, viewer, "edit")
        instructions = str(content.text("instructions", language)) if access.shows_instructions(session, gpt, viewer, content) else ""
        builder = session.get(User, gpt.owner_id)
        category = service.category_by_slug(session, content.category)
        credit = listing.credits(session, {gpt.forked_from_id}, viewer) if gpt.forked_from_id else {}
    return render(
        request,
        "store/gpt.html",
        gpt=gpt,
        name=content.text("name", language),
        description=content.text("description", language),
        welcome=content.text("welcome_message", language),
        starters=content.text("starters", language),
        instructions=instructions,
        content=content,
        builder=builder,
        category=category,
        can_edit=can_edit,
        forked_from_name=credit.get(gpt.forked_from_id or ""),
    )
