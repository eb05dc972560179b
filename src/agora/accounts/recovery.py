"""Password reset by email: a signed link that works once, for 30 minutes.

Nothing is stored per request: the link carries the user id and a fingerprint of their
current password hash, signed with the secret key and timestamped. Setting a password
changes the hash (argon2 salts every hash, even for the same password), so a link that
was used, or any older one, no longer matches; the new hash is written only if the old
one is still there (compare-and-set), so two submits of one link cannot both succeed.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from agora.accounts import sessions, throttle, validation
from agora.accounts.models import User
from agora.accounts.passwords import hash_password
from agora.audit import chain as audit
from agora.db import rows_changed
from agora.errors import InvalidInput
from agora.i18n import gettext as _

RESET_MINUTES = 30
_SALT = "agora.password-reset"


def _signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:24]


def may_reset(user: User | None) -> bool:
    """Accounts that sign in with a password and are turned on (not the demo's builders, not
    accounts their organisation deactivated)."""
    return user is not None and user.password_hash is not None and user.deactivated_at is None


def token_for(secret_key: str, user: User) -> str:
    return _signer(secret_key).dumps({"u": user.id, "p": _fingerprint(user.password_hash)})


def _expired() -> InvalidInput:
    return InvalidInput(_("This reset link has expired or was already used. Ask for a new one below."), field="token", code="reset_link_invalid")


def user_for(session: Session, secret_key: str, token: str) -> User:
    """The account a reset link is for, or a 422 saying the link no longer works."""
    try:
        data = _signer(secret_key).loads(token, max_age=RESET_MINUTES * 60)
    except (SignatureExpired, BadSignature):
        raise _expired() from None
    user = session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or not may_reset(user) or _fingerprint(user.password_hash) != data.get("p"):
        raise _expired()
    return user


def reset(session: Session, secret_key: str, *, token: str, password: str, ip: str | None = None) -> User:
    """Set the new password the link's owner chose; every browser they were signed in on is signed out."""
    user = user_for(session, secret_key, token)
    validation.clean_password(password, field="password")
    old = user.password_hash
    new = hash_password(password)
    changed = session.execute(update(User).where(User.id == user.id, User.password_hash == old).values(password_hash=new))
    if not rows_changed(changed):
        raise _expired()  # the other submit of this link set a password first
    session.refresh(user)
    throttle.forget_failures(session, email=user.email)  # the lockout that sent them here is over
    sessions.end_all(session, user.id)
    audit.record(session, "auth.password_reset", actor=user, target_type="user", target_id=user.id, ip=ip or "")
    return user
