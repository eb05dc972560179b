"""CSRF protection for every state-changing request made with cookies.

The browser holds a random token in an HttpOnly cookie; forms carry an HMAC of it keyed
with the secret key (a cross-site page can neither read the cookie nor forge the HMAC).
JSON calls made with a session cookie send the same value in ``X-CSRF-Token``.
Calls authenticated by a valid API key, and carrying no session cookie, hold no ambient
credential a cross-site page could borrow and need neither; an Authorization header alone
proves nothing (a junk one must not excuse a cookie-signed request).
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from agora.accounts import sessions
from agora.errors import Forbidden
from agora.i18n import gettext as _
from agora.web.deps import bearer_on_api, signed_in_user

FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def token_for(request: Request) -> str:
    secret = request.app.state.secret_key.encode()
    return hmac.new(secret, request.state.csrf_cookie.encode(), hashlib.sha256).hexdigest()


async def csrf_protect(request: Request) -> None:
    """Router dependency: refuse unsafe requests without a valid token."""
    if request.method in SAFE_METHODS:
        return
    if await _signed_by_api_key_alone(request):
        return
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # cached by Starlette: the endpoint reads it again for free
        value = form.get(FORM_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, token_for(request)):
        raise Forbidden(
            _("This form has expired or did not come from Agora. Reload the page and try again."),
            code="csrf_failed",
            field=FORM_FIELD,
        )


async def _signed_by_api_key_alone(request: Request) -> bool:
    """A valid API key and no session cookie. An invalid key is refused here (401), not waved through."""
    if request.cookies.get(sessions.COOKIE) or not bearer_on_api(request):
        return False
    await run_in_threadpool(signed_in_user, request, request.app.state.database)  # checks the key; remembered for the endpoint
    return getattr(request.state, "api_key", None) is not None
