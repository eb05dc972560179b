"""Setting up a workspace's (or the instance's) OpenID Connect provider: checked, then saved.

Saving reads the provider's discovery document first, so a mistyped issuer is reported
on the form rather than at the first sign-in. Agora is registered as a confidential web
application: the client secret is required, stored encrypted, and kept when a later save
leaves it blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora import events
from agora.accounts.models import User
from agora.audit import chain as audit
from agora.errors import Conflict, InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.providers import encryption
from agora.sso import discovery
from agora.sso.errors import SsoFailed
from agora.sso.models import INSTANCE, SsoProvider

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$")
CLAIM = re.compile(r"^[A-Za-z0-9_.:/-]{1,60}$")
MAPPED_ROLES = ("admin", "member")


@dataclass(frozen=True)
class ProviderForm:
    """What an administrator types; every field a string, as a form sends it."""

    slug: str
    name: str
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: str = "openid email profile"
    groups_claim: str = "groups"
    group_roles: str = ""  # one "Group name = admin" per line
    enabled: bool = True


def owner_key(workspace_id: int | None) -> str:
    return INSTANCE if workspace_id is None else f"w{workspace_id}"


def of_owner(session: Session, workspace_id: int | None) -> SsoProvider | None:
    return session.scalar(select(SsoProvider).where(SsoProvider.owner_key == owner_key(workspace_id)))


def by_slug(session: Session, slug: str) -> SsoProvider:
    provider = session.scalar(select(SsoProvider).where(SsoProvider.slug == slug))
    if provider is None or not provider.enabled:
        raise NotFound(_("There is no single sign-on called %(slug)s here.", slug=slug))
    return provider


def client_secret(provider: SsoProvider, secret_key: str) -> str:
    if not provider.client_secret:
        return ""
    try:
        return encryption.decrypt(provider.client_secret, secret_key, encryption.SSO_PURPOSE)
    except encryption.KeyUnreadable:
        raise SsoFailed(_("This single sign-on's client secret cannot be read (the secret key changed): an administrator must enter it again."),
                        reason="secret_unreadable", status=503) from None


def parse_group_roles(text: str) -> dict[str, str]:
    """`Group = role` lines -> {group: role}; InvalidInput naming the line that is wrong."""
    mapping: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        group, sep, role = line.rpartition("=")
        group, role = group.strip(), role.strip().lower()
        if not sep or not group or role not in MAPPED_ROLES:
            raise InvalidInput(
                _("Line %(number)d of the group mapping must read \"Group name = admin\" or \"Group name = member\".", number=number),
                field="group_roles",
            )
        mapping[group] = role
    return mapping


@dataclass(frozen=True)
class _Clean:
    slug: str
    name: str
    issuer: str
    client_id: str
    scopes: str
    groups_claim: str
    group_roles: dict[str, str]


def _clean(form: ProviderForm, *, for_workspace: bool) -> _Clean:
    """The form's values as stored; InvalidInput naming the first wrong field."""
    slug = form.slug.strip().lower()
    if not SLUG.match(slug):
        raise InvalidInput(_("The short name is 2 to 40 lower-case letters, digits and dashes, e.g. acme."), field="slug")
    name = " ".join(form.name.split())
    if not name or len(name) > 80:
        raise InvalidInput(_("Name the sign-in button (at most 80 characters), e.g. Acme login."), field="name")
    issuer = discovery.check_url(form.issuer.strip(), field_name="issuer")
    client_id = form.client_id.strip()
    if not client_id or len(client_id) > 200:
        raise InvalidInput(_("Copy the client ID your identity provider gave Agora's application."), field="client_id")
    scopes = " ".join(form.scopes.split())
    if "openid" not in scopes.split() or len(scopes) > 200:
        raise InvalidInput(_("The scopes must include openid (e.g. openid email profile)."), field="scopes")
    groups_claim = form.groups_claim.strip() or "groups"
    if not CLAIM.match(groups_claim):
        raise InvalidInput(_("A claim name is letters, digits and . _ : / - only, e.g. groups."), field="groups_claim")
    group_roles = parse_group_roles(form.group_roles) if for_workspace else {}
    return _Clean(slug, name, issuer, client_id, scopes, groups_claim, group_roles)


def save(session: Session, *, workspace_id: int | None, form: ProviderForm, secret_key: str, by: User | None = None) -> SsoProvider:
    """Create or update the provider of `workspace_id` (None: the instance's); the caller checked who may."""
    clean = _clean(form, for_workspace=workspace_id is not None)
    try:
        discovery.metadata(clean.issuer, None, fresh=True)  # read now: refuse an issuer that does not answer
    except SsoFailed as failure:
        raise InvalidInput(failure.message, field="issuer") from None
    provider = of_owner(session, workspace_id)
    taken = session.scalar(select(SsoProvider.id).where(SsoProvider.slug == clean.slug))
    if taken is not None and (provider is None or taken != provider.id):
        raise Conflict(_("The short name %(slug)s is taken; choose another.", slug=clean.slug), field="slug")
    secret = form.client_secret.strip()
    if not secret and (provider is None or not provider.client_secret):  # a confidential client: its server keeps the secret
        raise InvalidInput(_("Copy the client secret your identity provider gave Agora's application."), field="client_secret")
    try:
        with session.begin_nested():  # another administrator may have saved the same name or owner meanwhile
            if provider is None:
                provider = SsoProvider(owner_key=owner_key(workspace_id), workspace_id=workspace_id)
                session.add(provider)
            provider.slug, provider.name, provider.issuer, provider.client_id = clean.slug, clean.name, clean.issuer, clean.client_id
            provider.scopes, provider.groups_claim, provider.group_roles = clean.scopes, clean.groups_claim, clean.group_roles
            provider.enabled = form.enabled
            if secret:
                provider.client_secret = encryption.encrypt(secret, secret_key, encryption.SSO_PURPOSE)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(_("Someone saved this single sign-on at the same moment; reload the page and check it."), field="slug") from exc
    audit.record(session, "sso.provider_saved", actor=by, workspace_id=workspace_id, target_type="sso_provider", target_id=provider.id,
                 details={"slug": provider.slug, "issuer": provider.issuer, "client_id": provider.client_id, "enabled": provider.enabled,
                          "secret_changed": bool(secret), "group_roles": provider.group_roles})
    # The next sign-in reads the provider as now configured: the caches of its metadata forget it on commit.
    events.publish_after_commit(session, events.SsoProviderChanged(provider.slug))
    return provider


def group_text(provider: SsoProvider | None) -> str:
    """The mapping as the form shows it."""
    return "\n".join(f"{group} = {role}" for group, role in (provider.group_roles if provider else {}).items())
