"""A workspace's email domains: claimed, proven like a builder's website (agora.domain_proof), then trusted.

A verified domain lets the workspace's identity provider sign in (and create) accounts
with addresses at that domain, and no other: a provider cannot vouch for people of a
company that is not its workspace's. "SSO only" then turns password sign-in and sign-up
off for those addresses. One workspace per domain: the first to verify it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora.accounts import service as accounts
from agora.accounts.models import User
from agora.audit import chain as audit
from agora.config import Settings
from agora.db import utcnow
from agora.domain_proof import clean_domain, fetch_token, new_token
from agora.errors import Conflict, InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.sso.models import SsoProvider, WorkspaceDomain

WELL_KNOWN = "/.well-known/agora-workspace.txt"


def of_workspace(session: Session, workspace_id: int) -> list[WorkspaceDomain]:
    return list(session.scalars(select(WorkspaceDomain).where(WorkspaceDomain.workspace_id == workspace_id).order_by(WorkspaceDomain.domain)))


def claim(session: Session, *, workspace_id: int, domain: str, settings: Settings) -> WorkspaceDomain:
    """Start proving `domain` (claiming it again keeps the token already handed out)."""
    domain = clean_domain(domain, settings)
    existing = session.scalar(select(WorkspaceDomain).where(WorkspaceDomain.workspace_id == workspace_id, WorkspaceDomain.domain == domain))
    if existing is not None:
        return existing
    claimed = WorkspaceDomain(workspace_id=workspace_id, domain=domain, token=new_token())
    try:
        with session.begin_nested():
            session.add(claimed)
            session.flush()
    except IntegrityError:  # the same claim, saved from another tab a moment ago
        return session.scalars(select(WorkspaceDomain).where(WorkspaceDomain.workspace_id == workspace_id, WorkspaceDomain.domain == domain)).one()
    return claimed


def _owned(session: Session, workspace_id: int, domain_id: int) -> WorkspaceDomain:
    found = session.get(WorkspaceDomain, domain_id)
    if found is None or found.workspace_id != workspace_id:
        raise NotFound(_("This workspace has no such domain."))
    return found


def verify(session: Session, *, workspace_id: int, domain_id: int, settings: Settings) -> WorkspaceDomain:
    claimed = _owned(session, workspace_id, domain_id)
    if claimed.verified_at is not None:
        return claimed
    if fetch_token(claimed.domain, settings, WELL_KNOWN).strip() != claimed.token:
        raise InvalidInput(
            _("%(url)s does not contain this workspace's token yet. Serve exactly the token shown, then try again.",
              url=f"https://{claimed.domain}{WELL_KNOWN}"),
            field="domain",
        )
    try:
        with session.begin_nested():  # the unique verified_domain decides who verified first
            claimed.verified_domain, claimed.verified_at = claimed.domain, utcnow()
            session.flush()
    except IntegrityError:
        raise Conflict(_("Another workspace has already verified %(domain)s.", domain=claimed.domain), field="domain") from None
    return claimed


def set_sso_only(session: Session, *, workspace_id: int, domain_id: int, by: User, on: bool) -> WorkspaceDomain:
    """Turn password sign-in (and sign-up) off, or on again, for everyone at a verified domain of the workspace."""
    claimed = _owned(session, workspace_id, domain_id)
    if on and claimed.verified_at is None:
        raise InvalidInput(_("Verify %(domain)s first: only a verified domain can be made SSO only.", domain=claimed.domain), field="domain")
    enabled = select(SsoProvider.id).where(SsoProvider.workspace_id == workspace_id, SsoProvider.enabled.is_(True))
    if on and session.scalar(enabled) is None:
        raise InvalidInput(_("Set up and enable the workspace's single sign-on first, or nobody at %(domain)s could sign in.",
                             domain=claimed.domain), field="domain")
    if claimed.sso_only != on:
        claimed.sso_only = on
        audit.record(session, "workspace.sso_only_changed", actor=by, workspace_id=workspace_id, target_type="domain",
                     target_id=claimed.domain, details={"sso_only": on})
    return claimed


def password_refused(session: Session, email: str) -> str | None:
    """Why `email` may not use a password: its domain is SSO only in the workspace that verified it."""
    if session.scalar(select(WorkspaceDomain.id).where(WorkspaceDomain.verified_domain == domain_of(email), WorkspaceDomain.sso_only.is_(True))):
        return _("%(domain)s signs in with single sign-on only: use \"Sign in with single sign-on (SSO)\" with your work email.",
                 domain=domain_of(email))
    return None


accounts.refuse_passwords_with(password_refused)


def remove(session: Session, *, workspace_id: int, domain_id: int) -> None:
    session.delete(_owned(session, workspace_id, domain_id))


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def verified_for(session: Session, workspace_id: int, email: str) -> bool:
    """Whether `email` is at one of the workspace's verified domains."""
    return session.scalar(
        select(WorkspaceDomain.id).where(WorkspaceDomain.workspace_id == workspace_id, WorkspaceDomain.verified_domain == domain_of(email))
    ) is not None


def provider_for_email(session: Session, email: str) -> SsoProvider | None:
    """The enabled provider of the workspace that verified `email`'s domain."""
    return session.scalar(
        select(SsoProvider).join(WorkspaceDomain, WorkspaceDomain.workspace_id == SsoProvider.workspace_id)
        .where(WorkspaceDomain.verified_domain == domain_of(email), SsoProvider.enabled.is_(True))
    )
