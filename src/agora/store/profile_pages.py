"""A builder's own settings: public profile (bio, website) and verified domains."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from agora.errors import AgoraError
from agora.inputs import Id, Text
from agora.store import builders
from agora.store.models import BuilderDomain
from agora.web.deps import AppSettings, CurrentUser, Db
from agora.web.templating import render

router = APIRouter(prefix="/account/builder")


def _page(request: Request, db: Db, user, status: int = 200, **context) -> Response:
    with db.session() as session:
        domains = list(session.scalars(select(BuilderDomain).where(BuilderDomain.user_id == user.id).order_by(BuilderDomain.id)))
    context.setdefault("values", {"bio": user.bio, "website": user.website})
    return render(request, "store/profile_edit.html", status, domains=domains, well_known=builders.WELL_KNOWN, **context)


@router.get("")
def profile_page(request: Request, db: Db, user: CurrentUser) -> Response:
    return _page(request, db, user, saved=request.query_params.get("saved"))


@router.post("")
def save_profile(request: Request, db: Db, user: CurrentUser, bio: Annotated[Text, Form()] = "", website: Annotated[Text, Form()] = "") -> Response:
    try:
        with db.session() as session:
            builders.update_profile(session.merge(user), bio=bio, website=website)
    except AgoraError as error:
        return _page(request, db, user, error.status, errors={error.field: error.message}, values={"bio": bio, "website": website})
    return RedirectResponse("/account/builder?saved=profile", status_code=303)


@router.post("/domains")
def claim_domain(request: Request, db: Db, user: CurrentUser, settings: AppSettings, domain: Annotated[Text, Form()] = "") -> Response:
    try:
        with db.session() as session:
            builders.claim(session, user, domain, settings)
    except AgoraError as error:
        return _page(request, db, user, error.status, errors={"domain": error.message}, domain=domain)
    return RedirectResponse("/account/builder", status_code=303)


@router.post("/domains/{domain_id}/verify")
def verify_domain(request: Request, domain_id: Id, db: Db, user: CurrentUser, settings: AppSettings) -> Response:
    try:
        with db.session() as session:
            builders.verify(session, user, domain_id, settings)
    except AgoraError as error:
        return _page(request, db, user, error.status, errors={"domain": error.message})
    return RedirectResponse("/account/builder?saved=domain", status_code=303)


@router.post("/domains/{domain_id}/remove")
def remove_domain(request: Request, domain_id: Id, db: Db, user: CurrentUser) -> Response:
    try:
        with db.session() as session:
            builders.remove_domain(session, user, domain_id)
    except AgoraError as error:
        return _page(request, db, user, error.status, errors={"domain": error.message})
    return RedirectResponse("/account/builder?saved=removed", status_code=303)
