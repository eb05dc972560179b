"""Admin pages for the store's categories (the featured picker is store.featured_admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.errors import AgoraError, Forbidden
from agora.i18n import gettext as _
from agora.inputs import Id, Text
from agora.store import category_admin
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render

router = APIRouter(prefix="/admin")


def _admin_only(user) -> None:
    if not user.is_admin:
        raise Forbidden(_("This page is for administrators."))


def _back(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.get("/categories")
def categories_page(request: Request, db: Db, user: CurrentUser) -> Response:
    _admin_only(user)
    with db.session() as session:
        categories = category_admin.all_categories(session)
    return render(request, "store/admin_categories.html", categories=categories)


@router.post("/categories")
def create_category(request: Request, db: Db, user: CurrentUser, name_en: Annotated[Text, Form()] = "", name_fr: Annotated[Text, Form()] = "") -> Response:
    try:
        with db.session() as session:
            category_admin.create(session, user, name_en=name_en, name_fr=name_fr)
    except AgoraError as error:
        with db.session() as session:
            categories = category_admin.all_categories(session)
        return render(request, "store/admin_categories.html", error.status, categories=categories,
                      errors={error.field: error.message}, values={"name_en": name_en, "name_fr": name_fr})
    return _back("/admin/categories")


@router.post("/categories/{category_id}")
def change_category(
    request: Request, category_id: Id, db: Db, user: CurrentUser,
    action: Annotated[Text, Form()] = "", name_en: Annotated[Text, Form()] = "", name_fr: Annotated[Text, Form()] = "",
) -> Response:
    with db.session() as session:
        if action == "rename":
            category_admin.rename(session, user, category_id, name_en=name_en, name_fr=name_fr)
        elif action in ("up", "down"):
            category_admin.move(session, user, category_id, up=action == "up")
        elif action in ("hide", "show"):
            category_admin.set_hidden(session, user, category_id, hidden=action == "hide")
    return _back("/admin/categories")
