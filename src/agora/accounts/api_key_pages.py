"""The account page's API keys: create (the key is shown once), list and revoke.

Only a logged-in browser manages keys: a key cannot make or revoke keys (see
api_keys.scope_for_api_call), so a leaked key cannot entrench itself.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.accounts import api_keys
from agora.db import utcnow
from agora.errors import AgoraError
from agora.inputs import Id, Text
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render

router = APIRouter()
EXPIRY_CHOICES = ("never", "30", "90", "365")  # days
PAGE = "/account/api-keys"


def _page(request: Request, db: Db, viewer, status: int = 200, **context) -> Response:
    with db.session() as session:
        keys = api_keys.owned(session, session.merge(viewer))
    return render(
        request, "accounts/api_keys.html", status, keys=keys, now=utcnow(), scopes=api_keys.SCOPES,
        expiry_choices=EXPIRY_CHOICES, shown=api_keys.display_prefix, base_url=request.app.state.settings.resolved_public_url() + "/v1", **context,
    )


@router.get(PAGE)
def api_keys_page(request: Request, db: Db, viewer: CurrentUser) -> Response:
    return _page(request, db, viewer, revoked=request.query_params.get("revoked"))


@router.post(PAGE)
async def create_api_key(request: Request, db: Db, viewer: CurrentUser, name: Annotated[Text, Form()] = "",
                         expires: Annotated[Text, Form()] = "never") -> Response:
    form = await request.form()
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str)]
    expires_at = utcnow() + timedelta(days=int(expires)) if expires in EXPIRY_CHOICES[1:] else None
    values = {"name": name, "scopes": scopes, "expires": expires}
    try:
        with db.session() as session:
            key, raw = api_keys.create(session, user=session.merge(viewer), name=name, scopes=scopes, expires_at=expires_at)
    except AgoraError as error:
        return _page(request, db, viewer, error.status, errors={error.field or "name": error.message}, values=values)
    # Rendered, not redirected: the key must not travel in a URL or survive a reload.
    response = _page(request, db, viewer, 201, created_key=raw, created_name=key.name)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(PAGE + "/{key_id}/revoke")
def revoke_api_key(key_id: Id, db: Db, viewer: CurrentUser) -> Response:
    with db.session() as session:
        api_keys.revoke(session, user=session.merge(viewer), key_id=key_id)
    return RedirectResponse(f"{PAGE}?revoked={key_id}", status_code=303)
