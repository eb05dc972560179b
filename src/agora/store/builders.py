"""Builder profiles and verified website domains.

A builder proves they control a domain by serving the token Agora gives them at
https://DOMAIN/.well-known/agora-builder.txt. Agora fetches it for real; by default it
refuses domains that resolve to private, loopback or link-local addresses, so the check
cannot be used to probe the network Agora runs in.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
import ssl
from dataclasses import dataclass

import httpx
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.config import Settings
from agora.db import utcnow
from agora.errors import InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.store.models import BuilderDomain

WELL_KNOWN = "/.well-known/agora-builder.txt"
MAX_BIO = 1000
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
HOST_PORT = re.compile(r"^([a-z0-9.-]+):(\d{1,5})$")


@dataclass(frozen=True)
class Profile:
    builder: User
    domains: list[BuilderDomain]

    @property
    def verified(self) -> bool:
        return any(d.verified_at for d in self.domains)


def profile(session: Session, handle: str) -> Profile:
    builder = session.scalar(select(User).where(User.handle == handle.lower()))
    if builder is None:
        raise NotFound(_("There is no builder with this handle."))
    domains = list(session.scalars(select(BuilderDomain).where(BuilderDomain.user_id == builder.id).order_by(BuilderDomain.id)))
    return Profile(builder, domains)


def verified_builders(session: Session, builder_ids: set[int]) -> set[int]:
    """Which of these builders have at least one verified domain (for badges on cards)."""
    if not builder_ids:
        return set()
    return set(session.scalars(_VERIFIED, {"ids": list(builder_ids)}))


# Built once: cards on every store page ask, and constructing it cost more than running it.
_VERIFIED = select(BuilderDomain.user_id).where(
    BuilderDomain.user_id.in_(bindparam("ids", expanding=True)), BuilderDomain.verified_at.is_not(None)
)


def update_profile(user: User, *, bio: str, website: str) -> None:
    """Bio and website shown on /builders/{handle}."""
    bio, website = bio.strip(), website.strip()
    if len(bio) > MAX_BIO:
        raise InvalidInput(_("Bios are at most %(max)d characters.", max=MAX_BIO), field="bio")
    if website and not re.match(r"^https?://[^\s/$.?#][^\s]*$", website):
        raise InvalidInput(_("Websites start with https:// (or http://)."), field="website")
    user.bio, user.website = bio, website[:300]


def claim(session: Session, user: User, domain: str, settings: Settings) -> BuilderDomain:
    """Start verifying `domain`; returns the claim whose token the builder must serve."""
    domain = _clean_domain(domain, settings)
    existing = session.scalar(select(BuilderDomain).where(BuilderDomain.user_id == user.id, BuilderDomain.domain == domain))
    if existing is not None:
        return existing  # claiming again keeps the token already handed out
    claim_ = BuilderDomain(user_id=user.id, domain=domain, token="agora-verify-" + secrets.token_urlsafe(24))
    session.add(claim_)
    session.flush()
    return claim_


def verify(session: Session, user: User, domain_id: int, settings: Settings) -> BuilderDomain:
    claim_ = session.get(BuilderDomain, domain_id)
    if claim_ is None or claim_.user_id != user.id:
        raise NotFound(_("There is no such domain on your profile."))
    served = fetch_token(claim_.domain, settings)
    if served.strip() != claim_.token:
        raise InvalidInput(
            _("%(url)s does not contain your token yet. Serve exactly the token shown, then try again.",
              url=f"https://{claim_.domain}{WELL_KNOWN}"),
            field="domain",
        )
    claim_.verified_at = claim_.verified_at or utcnow()
    return claim_


def fetch_token(domain: str, settings: Settings) -> str:
    host = HOST_PORT.match(domain).group(1) if HOST_PORT.match(domain) else domain
    if not settings.builder_verification_allow_private:
        _refuse_private(host)
    url = f"https://{domain}{WELL_KNOWN}"
    ca_bundle = settings.builder_verification_ca_bundle
    verify_tls = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
    try:
        # No redirects: the token must be served by the domain itself.
        response = httpx.get(url, timeout=10, follow_redirects=False, verify=verify_tls)
    except httpx.HTTPError as exc:
        raise InvalidInput(_("Could not fetch %(url)s: %(reason)s", url=url, reason=str(exc) or type(exc).__name__), field="domain") from exc
    if response.status_code != 200:
        raise InvalidInput(_("%(url)s answered HTTP %(status)d; it must answer 200 with your token.", url=url, status=response.status_code), field="domain")
    return response.text[:1000]


def _clean_domain(domain: str, settings: Settings) -> str:
    domain = domain.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if settings.builder_verification_allow_private and HOST_PORT.match(domain):
        return domain  # host:port, allowed only where private addresses are (tests)
    if not DOMAIN.match(domain):
        raise InvalidInput(_("Enter a domain name like example.com, without a path."), field="domain")
    return domain


def _refuse_private(host: str) -> None:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)}
    except socket.gaierror as exc:
        raise InvalidInput(_("The domain %(domain)s does not resolve.", domain=host), field="domain") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise InvalidInput(_("The domain %(domain)s points to a private address; Agora only verifies public websites.", domain=host), field="domain")
