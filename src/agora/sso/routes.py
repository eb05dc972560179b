"""Signing in through single sign-on: find the organisation's provider by email, go there, come back signed in.

/auth/oidc/{provider}/login starts the flow (a signed cookie remembers it, one per tab
for up to ten minutes); the provider sends the browser back to /auth/oidc/{provider}/callback.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError

from agora.accounts import cookies, sessions
from agora.accounts.models import User
from agora.db import Database, begin_writing
from agora.errors import AgoraError, Conflict
from agora.i18n import gettext as _
from agora.inputs import Text
from agora.sso import domains, oidc, providers, signin
from agora.sso.errors import SsoFailed
from agora.sso.models import SsoProvider
from agora.web.deps import AppSettings, Db, Viewer, safe_next
from agora.web.templating import render

log = logging.getLogger("agora.sso")
router = APIRouter()


def redirect_uri(request: Request, slug: str) -> str:
    """Where the provider sends people back: what its administrator registers for Agora's client."""
    return request.app.state.settings.resolved_public_url() + request.app.url_path_for("oidc_callback", provider=slug)


@router.get("/auth/sso")
def sso_page(request: Request, db: Db, viewer: Viewer, next: Text = "/") -> Response:
    with db.session() as session:
        instance = providers.of_owner(session, None)
    return render(request, "sso/start.html", next=safe_next(next), instance=instance if instance and instance.enabled else None)


@router.post("/auth/sso")
def find_provider(request: Request, db: Db, email: Annotated[Text, Form()] = "", next: Annotated[Text, Form()] = "/") -> Response:
    with db.session() as session:
        provider = domains.provider_for_email(session, email) if "@" in email else None
        instance = providers.of_owner(session, None)
    if provider is None:
        message = _("No single sign-on is set up for %(domain)s. Log in with your password, or ask your administrator.",
                    domain=domains.domain_of(email) or email)
        return render(request, "sso/start.html", 404, next=safe_next(next), errors={"email": message}, values={"email": email},
                      instance=instance if instance and instance.enabled else None)
    return RedirectResponse(request.app.url_path_for("oidc_login", provider=provider.slug) + f"?next={safe_next(next)}", status_code=303)


@router.get("/auth/oidc/{provider}/login", name="oidc_login")
def oidc_login(request: Request, provider: Text, db: Db, next: Text = "/") -> Response:
    with db.session() as session:
        chosen = providers.by_slug(session, provider)
        session.expunge(chosen)
    url, flow = oidc.begin(chosen, redirect_uri=redirect_uri(request, chosen.slug), next_path=safe_next(next), cache=request.app.state.caches.sso)
    secret_key = request.app.state.secret_key
    flows = [*oidc.pending(request.cookies.get(oidc.COOKIE), secret_key), flow]
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(oidc.COOKIE, oidc.encode(flows, secret_key), max_age=oidc.FLOW_SECONDS, httponly=True, samesite="lax")
    return response


@router.get("/auth/oidc/{provider}/callback", name="oidc_callback")
def oidc_callback(request: Request, provider: Text, db: Db, settings: AppSettings) -> Response:
    params = request.query_params
    secret_key = request.app.state.secret_key
    flows = oidc.pending(request.cookies.get(oidc.COOKIE), secret_key)
    flow = next((f for f in flows if f.state == params.get("state") and f.provider == provider), None)
    try:
        if params.get("error"):
            raise SsoFailed(_("The identity provider did not sign you in: %(error)s.",
                              error=params.get("error_description") or params["error"]), reason="provider_error", status=401)
        if flow is None:  # no sign-in of this browser matches: expired, used already, or started elsewhere (login CSRF)
            raise SsoFailed(_("This sign-in expired or was not started in this browser. Start again."), reason="bad_state")
        with db.session() as session:
            chosen = providers.by_slug(session, provider)
            secret = providers.client_secret(chosen, secret_key)
            session.expunge(chosen)
        claims = oidc.finish(chosen, flow, code=params.get("code", ""), redirect_uri=redirect_uri(request, provider), client_secret=secret,
                             cache=request.app.state.caches.sso)
        cookie, user = _sign_in(db, chosen.id, claims, secret_key=secret_key, days=settings.session_days)
    except AgoraError as error:
        log.info("single sign-on refused", extra={"provider": provider, "reason": getattr(error, "reason", error.code)})
        failed = render(request, "sso/failed.html", error.status, message=error.message, provider=provider,
                        retry=flow.next if flow else "/")
        _forget(failed, flows, flow, secret_key)
        return failed
    response = RedirectResponse(flow.next, status_code=303)
    _forget(response, flows, flow, secret_key)
    cookies.sign_in(response, cookie, user, settings)
    return response


def _sign_in(db: Database, provider_id: int, claims: dict, *, secret_key: str, days: int) -> tuple[str, User]:
    """The session cookie for the person the claims name. A first sign-in racing another of the
    same person (two tabs) loses the unique race on the account or the link: it is run again
    once, and then finds what the other created."""
    for attempt in (1, 2):
        try:
            with db.session() as session:
                begin_writing(session)  # reads who the claims name, then creates or links them
                provider = session.get(SsoProvider, provider_id)
                if provider is None or not provider.enabled:
                    raise SsoFailed(_("This single sign-on was turned off meanwhile."), reason="disabled", status=404)
                user = signin.sign_in(session, provider, claims)
                value = sessions.start(session, user, secret_key=secret_key, days=days)
            return value, user
        except (IntegrityError, Conflict):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _forget(response: Response, flows: list[oidc.Flow], used: oidc.Flow | None, secret_key: str) -> None:
    """Each flow is good for one callback: a replayed callback finds nothing."""
    left = [f for f in flows if f is not used]
    if left:
        response.set_cookie(oidc.COOKIE, oidc.encode(left, secret_key), max_age=oidc.FLOW_SECONDS, httponly=True, samesite="lax")
    else:
        response.delete_cookie(oidc.COOKIE, httponly=True, samesite="lax")

