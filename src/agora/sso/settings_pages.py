"""Setting single sign-on up: a team's managers at /workspaces/{id}/sso (provider, email domains),
the instance's administrators at /admin/sso (the instance-wide provider)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.errors import AgoraError, Forbidden
from agora.i18n import gettext as _
from agora.inputs import Id, Text
from agora.sso import domains, providers
from agora.sso.routes import redirect_uri
from agora.web.deps import AppSettings, CurrentUser, Db
from agora.web.templating import render
from agora.workspaces import members

router = APIRouter()
FormText = Annotated[Text, Form()]  # a form field, checked storable (agora.inputs)
PROVIDER_FIELDS = ("slug", "name", "issuer", "client_id", "scopes", "groups_claim", "group_roles")


def _check(session: Session, user: User, workspace_id: int | None) -> str:
    """The page's title; raises unless the user may configure this owner's sign-on."""
    if workspace_id is None:
        if not user.is_admin:
            raise Forbidden(_("This page is for administrators."))
        return _("Instance single sign-on")
    return members.team(session, workspace_id, user, manage=True).name


def _page(request: Request, db: Db, user: User, workspace_id: int | None, *, status: int = 200, **shown) -> Response:
    with db.session() as session:
        title = _check(session, user, workspace_id)
        provider = providers.of_owner(session, workspace_id)
        claimed = domains.of_workspace(session, workspace_id) if workspace_id is not None else []
        values = shown.pop("values", None) or {
            "slug": provider.slug if provider else "", "name": provider.name if provider else "",
            "issuer": provider.issuer if provider else "", "client_id": provider.client_id if provider else "",
            "scopes": provider.scopes if provider else "openid email profile",
            "groups_claim": provider.groups_claim if provider else "groups", "group_roles": providers.group_text(provider),
        }
    callback = redirect_uri(request, values["slug"] or "SHORT-NAME")
    return render(request, "sso/settings.html", status, title=title, workspace_id=workspace_id, provider=provider, values=values,
                  domains=claimed, callback=callback, well_known=domains.WELL_KNOWN, **shown)


def _save_provider(request: Request, db: Db, user: User, workspace_id: int | None, form: providers.ProviderForm, base: str) -> Response:
    try:
        with db.session() as session:
            _check(session, user, workspace_id)
            providers.save(session, workspace_id=workspace_id, form=form, secret_key=request.app.state.secret_key, by=user)
    except AgoraError as error:
        values = {name: getattr(form, name) for name in PROVIDER_FIELDS}
        return _page(request, db, user, workspace_id, status=error.status, errors={error.field or "provider": error.message}, values=values)
    return RedirectResponse(f"{base}?notice=saved", status_code=303)


def _form(slug: str, name: str, issuer: str, client_id: str, client_secret: str, scopes: str, groups_claim: str,
          group_roles: str, enabled: str) -> providers.ProviderForm:
    return providers.ProviderForm(slug, name, issuer, client_id, client_secret, scopes, groups_claim, group_roles, enabled == "on")


@router.get("/workspaces/{workspace_id}/sso")
def workspace_sso(request: Request, workspace_id: Id, user: CurrentUser, db: Db) -> Response:
    return _page(request, db, user, workspace_id, notice=request.query_params.get("notice"))


@router.post("/workspaces/{workspace_id}/sso")
def save_workspace_sso(request: Request, workspace_id: Id, user: CurrentUser, db: Db, slug: FormText = "", name: FormText = "",
                       issuer: FormText = "", client_id: FormText = "", client_secret: FormText = "", scopes: FormText = "openid email profile",
                       groups_claim: FormText = "groups", group_roles: FormText = "", enabled: FormText = "") -> Response:
    form = _form(slug, name, issuer, client_id, client_secret, scopes, groups_claim, group_roles, enabled)
    return _save_provider(request, db, user, workspace_id, form, f"/workspaces/{workspace_id}/sso")


@router.get("/admin/sso")
def instance_sso(request: Request, user: CurrentUser, db: Db) -> Response:
    return _page(request, db, user, None, notice=request.query_params.get("notice"))


@router.post("/admin/sso")
def save_instance_sso(request: Request, user: CurrentUser, db: Db, slug: FormText = "", name: FormText = "", issuer: FormText = "",
                      client_id: FormText = "", client_secret: FormText = "", scopes: FormText = "openid email profile",
                      groups_claim: FormText = "groups", enabled: FormText = "") -> Response:
    form = _form(slug, name, issuer, client_id, client_secret, scopes, groups_claim, "", enabled)
    return _save_provider(request, db, user, None, form, "/admin/sso")


def _domain_change(request: Request, db: Db, user: User, workspace_id: int, notice: str, act: Callable[[Session], object]) -> Response:
    try:
        with db.session() as session:
            _check(session, user, workspace_id)
            act(session)
    except AgoraError as error:
        return _page(request, db, user, workspace_id, status=error.status, errors={"domain": error.message})
    return RedirectResponse(f"/workspaces/{workspace_id}/sso?notice={notice}#domains", status_code=303)


@router.post("/workspaces/{workspace_id}/sso/domains")
def claim_domain(request: Request, workspace_id: Id, user: CurrentUser, db: Db, settings: AppSettings, domain: FormText = "") -> Response:
    return _domain_change(request, db, user, workspace_id, "claimed",
                          lambda session: domains.claim(session, workspace_id=workspace_id, domain=domain, settings=settings))


@router.post("/workspaces/{workspace_id}/sso/domains/{domain_id}")
def change_domain(request: Request, workspace_id: Id, domain_id: Id, user: CurrentUser, db: Db, settings: AppSettings,
                  action: FormText = "") -> Response:
    actions: dict[str, Callable[[Session], object]] = {
        "verify": lambda session: domains.verify(session, workspace_id=workspace_id, domain_id=domain_id, settings=settings),
        "remove": lambda session: domains.remove(session, workspace_id=workspace_id, domain_id=domain_id),
        "sso_only_on": lambda session: domains.set_sso_only(session, workspace_id=workspace_id, domain_id=domain_id, by=user, on=True),
        "sso_only_off": lambda session: domains.set_sso_only(session, workspace_id=workspace_id, domain_id=domain_id, by=user, on=False),
    }
    if action not in actions:
        return _page(request, db, user, workspace_id, status=422, errors={"domain": _("Unknown action %(action)s.", action=repr(action))})
    return _domain_change(request, db, user, workspace_id, action, actions[action])
