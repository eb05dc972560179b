"""Who a provider's verified claims sign in: the linked account, else one found or created by email (just in time).

A workspace's provider may only vouch for addresses at the workspace's verified domains, so
it can neither take over nor create accounts of another company; the instance's provider is
the operator's own and may sign in anyone. A provider that says the address is unverified
is not believed about it. People signed in by a workspace's provider join it (a seat is
needed), with the role their groups map to, and start working in it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts import service as accounts
from agora.accounts import validation
from agora.accounts.models import User
from agora.audit import chain as audit
from agora.db import utcnow
from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.sso import domains
from agora.sso.errors import SsoFailed
from agora.sso.models import SsoIdentity, SsoProvider
from agora.workspaces import members
from agora.workspaces import service as workspaces


def sign_in(session: Session, provider: SsoProvider, claims: dict[str, Any]) -> User:
    """The account these claims sign in, created or linked as needed; SsoFailed saying why not."""
    identity = session.scalar(select(SsoIdentity).where(SsoIdentity.provider_id == provider.id, SsoIdentity.subject == claims["sub"]))
    if identity is not None:
        user = session.get(User, identity.user_id)
        assert user is not None
    else:
        user = _first_sign_in(session, provider, claims)
        identity = SsoIdentity(provider_id=provider.id, subject=claims["sub"], user_id=user.id)
        session.add(identity)
    if not accounts.may_sign_in(user):
        raise SsoFailed(_("Your Agora account is deactivated. Ask your administrator."), reason="deactivated", status=403)
    identity.last_login_at = utcnow()
    if provider.workspace_id is not None:
        members.provision(session, workspace_id=provider.workspace_id, user=user, role=role_from_groups(provider, claims),
                          by_label=f"sso: {provider.slug}")
        workspaces.switch(session, user, provider.workspace_id)
    audit.record(session, "auth.signed_in", actor=user, workspace_id=provider.workspace_id, target_type="user", target_id=user.id,
                 details={"method": "sso", "provider": provider.slug})
    session.flush()
    return user


def _first_sign_in(session: Session, provider: SsoProvider, claims: dict[str, Any]) -> User:
    raw_email = claims.get("email")
    if not isinstance(raw_email, str) or not raw_email:
        raise SsoFailed(_("The identity provider did not say your email address: Agora's client needs the email scope."), reason="no_email")
    try:
        email = validation.clean_email(raw_email)
    except InvalidInput:
        raise SsoFailed(_("The identity provider sent an email address Agora cannot use: %(email)s.", email=raw_email), reason="bad_email") from None
    if claims.get("email_verified") is False:
        raise SsoFailed(_("Your identity provider says %(email)s is not verified. Verify it there, then sign in again.", email=email),
                        reason="email_unverified", status=403)
    if provider.workspace_id is not None and not domains.verified_for(session, provider.workspace_id, email):
        raise SsoFailed(
            _("%(email)s is not at one of this workspace's verified domains, so its single sign-on cannot sign it in. "
              "An administrator can verify the domain in the workspace's single sign-on settings.", email=email),
            reason="domain_not_verified", status=403,
        )
    existing = accounts.user_by_email(session, email)
    if existing is not None:
        return existing
    name = claims.get("name") or " ".join(str(claims.get(part, "")) for part in ("given_name", "family_name"))
    display_name = " ".join(str(name).split())[:80] or email.split("@")[0]
    return accounts.create_user(session, email=email, display_name=display_name, password=None)


def role_from_groups(provider: SsoProvider, claims: dict[str, Any]) -> str | None:
    """admin when one of the person's groups maps to admin, member otherwise; None when the
    provider maps no groups (roles are then managed in Agora)."""
    if not provider.group_roles:
        return None
    groups = claims.get(provider.groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    roles = {provider.group_roles.get(str(group)) for group in groups if isinstance(group, str | int)}
    return "admin" if "admin" in roles else "member"
