"""A GPT's page: the GPT as its viewer may see it, its reviews and its neighbours in the store.

Visibility is the builder's rule (gpts.access): 404 for anyone the GPT is not shared with.
The store front, category pages and search live in store/pages.py.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from agora.credits import holds
from agora.inputs import Text
from agora.store import gpt_page as page
from agora.store.deps import Caches
from agora.web.deps import Db, Viewer
from agora.web.templating import render

router = APIRouter()


@router.get("/g/{gpt_id}")
def gpt_page(request: Request, gpt_id: Text, db: Db, viewer: Viewer, caches: Caches, reviews_cursor: Text | None = None) -> Response:
    language = request.state.language
    with db.session() as session:  # 404 for anyone it is not shared with
        shown = page.read(session, gpt_id, viewer, language=language, reviews_cursor=reviews_cursor, caches=caches)
        price = holds.terms(session, viewer, shown.gpt, request.app.state.settings)  # shown before the first message
    if shown.content is None:  # only its editors can see an unpublished GPT: send them to the draft
        return RedirectResponse(f"/gpts/{shown.gpt.id}/edit", status_code=303)
    content = shown.content
    return render(
        request,
        "store/gpt.html",
        gpt=shown.gpt,
        name=content.text("name", language),
        description=content.text("description", language),
        welcome=content.text("welcome_message", language),
        starters=content.text("starters", language),
        instructions=shown.instructions,
        content=content,
        builder=shown.builder,
        category=shown.category,
        can_edit=shown.can_edit,
        forked_from_name=shown.forked_from_name,
        store_listing=shown.store_listing,
        more_by_builder=shown.more_by_builder,
        similar=shown.similar,
        reviews=shown.reviews,
        next_reviews=shown.next_reviews,
        my_review=shown.my_review,
        may_rate=shown.may_rate,
        verified=shown.verified,
        price=price,
    )
