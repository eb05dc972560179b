"""A GPT's page: the GPT as its viewer may see it, its reviews and its neighbours in the store.

Visibility is the builder's rule (gpts.access): 404 for anyone the GPT is not shared with.
The store front, category pages and search live in store/pages.py.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from agora.accounts.models import User
from agora.chat.service import has_chatted
from agora.gpts import access, listing
from agora.gpts import service as gpts
from agora.store import builders, details, reviews, service
from agora.web.deps import Db, Viewer
from agora.web.templating import render

router = APIRouter()


@router.get("/g/{gpt_id}")
def gpt_page(request: Request, gpt_id: str, db: Db, viewer: Viewer, reviews_cursor: str | None = None) -> Response:
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
        around = details.neighbours(session, gpt.id)
        review_rows, next_reviews = reviews.page(session, gpt.id, cursor=reviews_cursor)
        mine = reviews.review_of(session, viewer, gpt.id) if viewer else None
        may_rate = viewer is not None and viewer.id != gpt.owner_id and (mine is not None or has_chatted(session, viewer, gpt.id))
        shelves = [*around.more_by_builder, *around.similar]
        verified = builders.verified_builders(session, {gpt.owner_id} | {l.builder_id for l in shelves})
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
        store_listing=around.listing,
        more_by_builder=around.more_by_builder,
        similar=around.similar,
        reviews=review_rows,
        next_reviews=next_reviews,
        my_review=mine,
        may_rate=may_rate,
        verified=verified,
    )
