"""Builder profiles and verified website domains.

A builder proves they control a domain by serving the token Agora gives them at
https://DOMAIN/.well-known/agora-builder.txt (agora.domain_proof fetches it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from agora import events
from agora.accounts.models import User
from agora.config import Settings
from agora.db import utcnow
from agora.domain_proof import clean_domain, fetch_token, new_token
from agora.errors import InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.store.models import BuilderDomain

WELL_KNOWN = "/.well-known/agora-builder.txt"
MAX_BIO = 1000


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
    domain = clean_domain(domain, settings)
    existing = session.scalar(select(BuilderDomain).where(BuilderDomain.user_id == user.id, BuilderDomain.domain == domain))
    if existing is not None:
        return existing  # claiming again keeps the token already handed out
    claim_ = BuilderDomain(user_id=user.id, domain=domain, token=new_token())
    session.add(claim_)
    session.flush()
    return claim_


def verify(session: Session, user: User, domain_id: int, settings: Settings) -> BuilderDomain:
    claim_ = session.get(BuilderDomain, domain_id)
    if claim_ is None or claim_.user_id != user.id:
        raise NotFound(_("There is no such domain on your profile."))
    served = fetch_token(claim_.domain, settings, WELL_KNOWN)
    if served.strip() != claim_.token:
        raise InvalidInput(
            _("%(url)s does not contain your token yet. Serve exactly the token shown, then try again.",
              url=f"https://{claim_.domain}{WELL_KNOWN}"),
            field="domain",
        )
    if claim_.verified_at is None:
        claim_.verified_at = utcnow()
        events.publish_after_commit(session, events.CatalogueChanged())  # their featured picks may show now (store.featured)
    return claim_


def remove_domain(session: Session, user: User, domain_id: int) -> None:
    """Drop a domain from the profile. Its last verified domain gone, the builder is no longer verified:
    no badge, and their featured picks stop showing (store.featured), which is why the front is told."""
    claim_ = session.get(BuilderDomain, domain_id)
    if claim_ is None or claim_.user_id != user.id:
        raise NotFound(_("There is no such domain on your profile."))
    session.delete(claim_)
    events.publish_after_commit(session, events.CatalogueChanged())
