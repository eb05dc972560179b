"""A workspace's SCIM bearer tokens: made by its managers (shown once), revoked by them, checked on every SCIM call."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.db import utcnow
from agora.errors import InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.scim.models import ScimToken

PREFIX = "agora-scim-"
# A provisioning run makes thousands of calls: last_used_at is written once a minute at most.
LAST_USED_PRECISION = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, *, workspace_id: int, by: User, name: str) -> str:
    """A new token for the workspace; returns it whole, which is never possible again."""
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise InvalidInput(_("Name the token after the system that will use it (at most 80 characters), e.g. Okta."), field="name")
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ScimToken(workspace_id=workspace_id, name=name, token_hash=_hash(token), prefix=token[:len(PREFIX) + 6], created_by=by.id))
    session.flush()
    return token


def of_workspace(session: Session, workspace_id: int) -> list[ScimToken]:
    return list(session.scalars(select(ScimToken).where(ScimToken.workspace_id == workspace_id).order_by(ScimToken.id.desc())))


def revoke(session: Session, *, workspace_id: int, token_id: int) -> None:
    token = session.get(ScimToken, token_id)
    if token is None or token.workspace_id != workspace_id:
        raise NotFound(_("This workspace has no such token."))
    token.revoked_at = token.revoked_at or utcnow()


def workspace_for(session: Session, authorization: str | None) -> int | None:
    """The workspace an `Authorization: Bearer agora-scim-...` header provisions, or None."""
    scheme, _sep, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PREFIX):
        return None
    found = session.scalar(select(ScimToken).where(ScimToken.token_hash == _hash(token), ScimToken.revoked_at.is_(None)))
    if found is None:
        return None
    now = utcnow()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_PRECISION:
        session.execute(update(ScimToken).where(ScimToken.id == found.id).values(last_used_at=now))
    return found.workspace_id
