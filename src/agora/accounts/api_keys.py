"""API keys: make, list, revoke and check the `agora-sk-...` keys developers call Agora with.

A key is `agora-sk-<public_id>_<secret>`. The public id finds the row; the secret is only
ever stored as a SHA-256 hash (it is 256 random bits, so a slow hash would add nothing)
and compared in constant time. The full key is returned once, by `create`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agora import events
from agora.accounts.models import ApiKey, User
from agora.audit import chain as audit
from agora.db import utcnow
from agora.errors import InvalidInput, NotFound
from agora.i18n import gettext as _

PREFIX = "agora-sk-"
SCOPES = ("models:read", "chat", "gpts:write")
MAX_NAME = 80
# Writing last_used_at on every call would turn each API read into a write; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class KeyRefused(Exception):
    """The Authorization header names no usable key. `reason` says why, for the caller's error message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # missing, malformed, unknown, revoked, expired, deactivated


@dataclass(frozen=True)
class KeyHolder:
    """Who is calling with a key, and what the key allows."""

    key_id: int
    public_id: str
    user: User
    scopes: frozenset[str]
    last_used_stale: bool = False  # last_used_at is older than LAST_USED_PRECISION: call mark_used
    expires_at: datetime | None = None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(session: Session, *, user: User, name: str, scopes: list[str] | tuple[str, ...] = SCOPES, expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """A new key for `user`; returns the row and the full key, which is never retrievable again."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(_("Give the key a name, so you know where it is used."), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(_("Key names can be at most %(max)s characters.", max=MAX_NAME), field="name")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInput(_("Choose at least one scope among: %(scopes)s.", scopes=", ".join(SCOPES)), field="scopes")
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput(_("The expiry date must be in the future."), field="expires_at")
    public_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey(
        public_id=public_id, secret_hash=_hash(secret), user_id=user.id, name=name,
        scopes=" ".join(s for s in SCOPES if s in scopes), expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    audit.record(session, "api_key.created", actor=user, target_type="api_key", target_id=key.id,
                 details={"name": name, "prefix": display_prefix(key), "scopes": key.scopes})
    return key, f"{PREFIX}{public_id}_{secret}"


def owned(session: Session, user: User) -> list[ApiKey]:
    """The user's keys, revoked ones included (they show when a key stopped working), newest first."""
    return list(session.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id.desc())))


def revoke(session: Session, *, user: User, key_id: int) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user.id))
    if key is None:
        raise NotFound(_("There is no such API key."))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(session, "api_key.revoked", actor=user, target_type="api_key", target_id=key.id,
                     details={"name": key.name, "prefix": display_prefix(key)})
        public_id = key.public_id
        # Caches of callers (/v1 keeps them a few seconds) forget the key once the revocation is
        # committed (they listen to events.ApiKeyRevoked): forgotten earlier, a call in between could read and remember it unrevoked.
        events.publish_after_commit(session, events.ApiKeyRevoked(public_id))
    return key


def display_prefix(key: ApiKey) -> str:
    """What the account page shows of a key: enough to recognise it, useless to an attacker."""
    return f"{PREFIX}{key.public_id}_…"


def bearer_token(authorization: str | None) -> str:
    """The key in an `Authorization: Bearer agora-sk-...` header, or KeyRefused."""
    if not authorization:
        raise KeyRefused("missing")
    scheme, _sep, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise KeyRefused("malformed")
    return token.strip()


def authenticate(session: Session, raw_key: str) -> KeyHolder:
    """The holder of a key, or KeyRefused. Reads only: see mark_used for recording the use."""
    if not raw_key.startswith(PREFIX) or "_" not in raw_key[len(PREFIX):]:
        raise KeyRefused("malformed")
    public_id, _sep, secret = raw_key[len(PREFIX):].partition("_")
    row = session.execute(select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.public_id == public_id)).first()
    # Compare even when no row matched, so timing does not tell which public ids exist.
    expected = row.ApiKey.secret_hash if row else _hash("no such key")
    if not hmac.compare_digest(expected, _hash(secret)) or row is None:
        raise KeyRefused("unknown")
    key, user = row.ApiKey, row.User
    now = utcnow()
    if key.revoked_at is not None:
        raise KeyRefused("revoked")
    if user.deactivated_at is not None:  # its owner's organisation turned the account off
        raise KeyRefused("deactivated")
    if key.expires_at is not None and key.expires_at <= now:
        raise KeyRefused("expired")
    session.expunge(user)
    stale = key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION
    return KeyHolder(key_id=key.id, public_id=key.public_id, user=user, scopes=frozenset(key.scopes.split()), last_used_stale=stale,
                     expires_at=key.expires_at)


def mark_used(session: Session, key_id: int) -> None:
    """Record that the key was used now.

    Call it first in a transaction of its own (or as the first write of one): on SQLite a
    transaction that reads before it writes fails, rather than waits, when another writer is busy.
    """
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))


def mark_all_used(session: Session, key_ids: list[int]) -> None:
    """`mark_used` for many keys in one statement (what /v1's calls hand the usage writer)."""
    session.execute(update(ApiKey).where(ApiKey.id.in_(sorted(set(key_ids)))).values(last_used_at=utcnow()))


def scope_for_api_call(method: str, path: str) -> str | None:
    """The scope a key needs for a call to the JSON API (/api/...); None: keys may not make it.

    Account security (password, sessions) stays behind a login: a leaked key must not take
    over the account.
    """
    reading = method in ("GET", "HEAD", "OPTIONS")
    if path.startswith(("/api/auth/", "/api/me/password")):
        return None
    if path.startswith(("/api/conversations", "/api/mentions")):
        return "chat"
    if path.startswith(("/api/gpts", "/api/me/gpts")):
        return "models:read" if reading else "gpts:write"
    return "models:read" if reading else None
