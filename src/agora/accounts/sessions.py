"""Login sessions: a random token in a signed cookie, its hash in the database."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from agora.accounts.models import LoginSession, User
from agora.db import rows_changed, utcnow

COOKIE = "agora_session"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt="agora.session")


def start(session: Session, user: User, *, secret_key: str, days: int) -> str:
    """Create a login session; returns the signed value for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=_hash(token), user_id=user.id, expires_at=utcnow() + timedelta(days=days)))
    return _signer(secret_key).sign(token).decode()


def _token(cookie: str | None, secret_key: str) -> str | None:
    if not cookie:
        return None
    try:
        return _signer(secret_key).unsign(cookie).decode()
    except BadSignature:
        return None


def user_for(session: Session, cookie: str | None, *, secret_key: str) -> User | None:
    token = _token(cookie, secret_key)
    if token is None:
        return None
    return session.scalar(
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == _hash(token), LoginSession.expires_at > utcnow(), User.deactivated_at.is_(None))
    )


def end(session: Session, cookie: str | None, *, secret_key: str) -> None:
    token = _token(cookie, secret_key)
    if token is not None:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == _hash(token)))


def end_all(session: Session, user_id: int) -> int:
    """Sign the user out of every browser (their account was deactivated); returns how many sessions ended."""
    return rows_changed(session.execute(delete(LoginSession).where(LoginSession.user_id == user_id)))


def end_all_others(session: Session, user: User, *, keep_cookie: str | None, secret_key: str) -> None:
    """After a password change, sign the user out everywhere but here."""
    keep = _token(keep_cookie, secret_key)
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep is not None:
        query = query.where(LoginSession.token_hash != _hash(keep))
    session.execute(query)
