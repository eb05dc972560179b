"""The store JSON API: search, type-ahead suggestions and categories. Public, read-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.inputs import Text
from agora.store import browse, service
from agora.store import search as store_search
from agora.store.deps import Caches
from agora.store.models import Listing
from agora.store.ranking import conversation_bucket
from agora.store.schemas import CategoryOut, SearchPage, StoreItem, Suggestion
from agora.web.deps import Db
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api/store", tags=["store"], route_class=JsonRoute)


def item(listing: Listing, language: str, category_slugs: dict[int | None, str]) -> StoreItem:
    return StoreItem(
        id=listing.gpt_id,
        name=listing.text("name", language),
        description=listing.text("description", language),
        avatar=listing.avatar,
        category=category_slugs.get(listing.category_id),
        builder=listing.builder_name,
        rating=round(listing.rating_sum / listing.rating_count, 2) if listing.rating_count else None,
        rating_count=listing.rating_count,
        conversations=conversation_bucket(listing.conversations),
    )


def category_slugs(session: Session) -> dict[int | None, str]:
    return {c.id: c.slug for c in service.visible_categories(session)}


@router.get("/search", response_model=SearchPage)
def search(
    request: Request,
    db: Db,
    caches: Caches,
    q: Annotated[str, Query(max_length=200, description="Words to find; accents and case are ignored.")] = "",
    lang: Annotated[Text | None, Query(description="Only GPTs available in this language (en or fr).")] = None,
    category: Annotated[Text | None, Query(description="A category slug.")] = None,
    sort: Annotated[Text, Query(description="relevance, trending, top_rated, most_used or newest.")] = "relevance",
    cursor: Annotated[Text | None, Query(description="next_cursor from the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
):
    """Search public GPTs by name, description, tags and builder, in English and French."""
    if lang not in (None, "en", "fr"):
        raise InvalidInput(_("Unknown language %(lang)r; use en or fr.", lang=lang), field="lang")
    language = lang or request.state.language
    with db.session() as session:
        chosen = None
        if category:
            chosen = service.category_by_slug(session, category)
            if chosen is None or chosen.hidden:
                raise InvalidInput(_("Unknown category %(slug)r.", slug=category), field="category")
        results = store_search.search(session, q, language=lang, category=chosen, sort=sort, cursor=cursor, limit=limit, caches=caches)
        slugs = category_slugs(session)
        return SearchPage(items=[item(listing, language, slugs) for listing in results.listings], next_cursor=results.next_cursor)


@router.get("/suggest", response_model=list[Suggestion])
def suggest(request: Request, db: Db, caches: Caches, q: Annotated[str, Query(max_length=100)] = ""):
    """Up to 8 GPT names for a search box's type-ahead, the most used first."""
    with db.session() as session:
        return [Suggestion(id=hit.gpt_id, name=hit.text("name", request.state.language)) for hit in store_search.suggest(session, q, caches)]


@router.get("/categories", response_model=list[CategoryOut])
def categories(request: Request, db: Db):
    """The store's visible categories in display order, with how many GPTs each lists."""
    with db.session() as session:
        counts = browse.counts_by_category(session)
        return [
            CategoryOut(slug=c.slug, name=c.name(request.state.language), count=counts.get(c.id, 0))
            for c in service.visible_categories(session)
        ]
