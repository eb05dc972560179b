"""Dependencies shared by page routes and the JSON API."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from agora.accounts import api_keys, sessions
from agora.accounts.models import User
from agora.config import Settings
from agora.db import Database
from agora.errors import EmailUnverified, Forbidden, Unauthorized
from agora.i18n import gettext as _


# Async where nothing blocks: FastAPI runs a plain `def` dependency in the thread pool, a hop
# each (three per request before a chat reply starts, about 0.3 ms on a busy worker).
async def get_database(request: Request) -> Database:
    return request.app.state.database


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def optional_user(request: Request, database: Annotated[Database, Depends(get_database)]) -> User | None:
    """The signed-in user, or None for a visitor. Also kept on request.state for templates.

    On the JSON API an `Authorization: Bearer agora-sk-...` header signs in as the key's
    owner instead, within the key's scopes (request.state.api_key holds the key).
    Async so a visitor (no session cookie, no key) costs no hop to the thread pool; the
    database is read in the pool only when there is someone to look up.
    """
    if hasattr(request.state, "user"):
        return request.state.user
    if not request.cookies.get(sessions.COOKIE) and not bearer_on_api(request):
        request.state.user = None
        return None
    return await run_in_threadpool(signed_in_user, request, database)


def bearer_on_api(request: Request) -> bool:
    # Bearer only: a proxy's Basic auth in front of Agora must not turn browsers into key callers.
    return request.url.path.startswith("/api/") and request.headers.get("authorization", "").lower().startswith("bearer ")


def signed_in_user(request: Request, database: Database) -> User | None:
    """optional_user's lookup, blocking (error pages call it before any dependency ran)."""
    if not hasattr(request.state, "user"):
        cookie = request.cookies.get(sessions.COOKIE)
        user = None
        if bearer_on_api(request):
            user = _key_holder(request, database).user
        elif cookie:
            with database.session() as session:
                user = sessions.user_for(session, cookie, secret_key=request.app.state.secret_key)
        request.state.user = user
    return request.state.user


def _key_holder(request: Request, database: Database) -> api_keys.KeyHolder:
    try:
        token = api_keys.bearer_token(request.headers.get("authorization"))
        with database.session() as session:
            holder = api_keys.authenticate(session, token)
        if holder.last_used_stale:
            with database.session() as session:
                api_keys.mark_used(session, holder.key_id)
    except api_keys.KeyRefused:
        raise Unauthorized(_("This API key is not valid: it is unknown, revoked or expired."), code="invalid_api_key") from None
    scope = api_keys.scope_for_api_call(request.method, request.url.path)
    if scope is None:
        raise Forbidden(_("API keys cannot do this; log in instead."), code="insufficient_scope")
    if not holder.allows(scope):
        raise Forbidden(_("This API key lacks the %(scope)s scope.", scope=scope), code="insufficient_scope")
    request.state.api_key = holder
    return holder


async def signed_in(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """Someone signed in, whether or not they verified their email (the few pages an unverified account may use)."""
    if user is None:
        raise Unauthorized(_("Log in to do this."))
    return user


async def required_user(request: Request, user: Annotated[User, Depends(signed_in)]) -> User:
    """Someone signed in who may use the store: their email verified when the operator requires it."""
    if user.email_verified_at is None and request.app.state.settings.require_email_verification:
        raise EmailUnverified(_("Confirm your email address first: follow the link we emailed to %(email)s.", email=user.email))
    return user


Db = Annotated[Database, Depends(get_database)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Viewer = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(required_user)]
SignedInUser = Annotated[User, Depends(signed_in)]


def public_link(request: Request, page: str, **params: str) -> str:
    """The absolute address of a named page, on the configured public address (never the Host header)."""
    return request.app.state.settings.resolved_public_url() + request.app.url_path_for(page, **params)


def wants_json(request: Request) -> bool:
    """Errors answer the JSON API, and clients asking for JSON, in JSON; everyone else gets a page."""
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: never redirect to another host after a form."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def login_address(request: Request) -> str:
    """Where a visitor asked to log in goes: the login form, then back to what they were doing.

    A page comes back to itself (with its query). A form's address is no page (a GET there
    answers 405), so a form comes back to the page it was sent from: the Referer, sent only
    by same-origin pages (Referrer-Policy: same-origin); the home page when there is none.
    """
    if request.method in ("GET", "HEAD"):
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        sent_from = urlsplit(request.headers.get("referer", ""))
        same_site = sent_from.netloc == request.url.netloc
        back = sent_from.path + (f"?{sent_from.query}" if sent_from.query else "") if same_site else "/"
    return "/login?next=" + quote(safe_next(back), safe="/")


def verify_address(request: Request) -> str:
    """Where someone who must verify their email first goes: the page saying so, then back to what they were doing."""
    return "/email/unverified?next=" + login_address(request).removeprefix("/login?next=")
