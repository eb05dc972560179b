"""A workspace's SCIM bearer tokens: made by its managers (shown once), revoked by them, checked on every SCIM call."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit import chain as audit
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
    row = ScimToken(workspace_id=workspace_id, name=name, token_hash=_hash(token), prefix=token[:len(PREFIX) + 6], created_by=by.id)
    session.add(row)
    session.flush()
    audit.record(session, "scim.token_created", actor=by, workspace_id=workspace_id, target_type="scim_token", target_id=row.id,
                 details={"name": name, "prefix": row.prefix})
    return token


def of_workspace(session: Session, workspace_id: int) -> list[ScimToken]:
    return list(session.scalars(select(ScimToken).where(ScimToken.workspace_id == workspace_id).order_by(ScimToken.id.desc())))


def revoke(session: Session, *, workspace_id: int, token_id: int, by: User | None = None) -> None:
    token = session.get(ScimToken, token_id)
    if token is None or token.workspace_id != workspace_id:
        raise NotFound(_("This workspace has no such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, "scim.token_revoked", actor=by, workspace_id=workspace_id, target_type="scim_token", target_id=token.id,
                     details={"name": token.name, "prefix": token.prefix})


@dataclass(frozen=True, slots=True)
class Holder:
    """The workspace a token provisions; `stale`: its last use is older than LAST_USED_PRECISION (call mark_used)."""

    token_id: int
    workspace_id: int
    stale: bool


def holder_for(session: Session, authorization: str | None) -> Holder | None:
    """Who an `Authorization: Bearer agora-scim-...` header provisions for, or None. Reads only."""
    scheme, _sep, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PREFIX):
        return None
    found = session.scalar(select(ScimToken).where(ScimToken.token_hash == _hash(token), ScimToken.revoked_at.is_(None)))
    if found is None:
        return None
    stale = found.last_used_at is None or utcnow() - found.last_used_at >= LAST_USED_PRECISION
    return Holder(token_id=found.id, workspace_id=found.workspace_id, stale=stale)


def mark_used(session: Session, token_id: int) -> None:
    """Record that the token was used now. Call it in a transaction of its own: on SQLite one that
    read first and then writes fails at once, rather than waits, when another call wrote meanwhile
    (twelve calls at once with a stale token were twelve 'database is locked')."""
    now = utcnow()
    session.execute(update(ScimToken).where(ScimToken.id == token_id, or_(ScimToken.last_used_at.is_(None),
                                                                          ScimToken.last_used_at <= now - LAST_USED_PRECISION))
                    .values(last_used_at=now))
