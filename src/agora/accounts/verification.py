"""Email verification: a signed link, valid 48 hours, proving a person reads the address they signed up with.

Nothing is stored per link: it carries the account's id and address, signed with the secret key and
timestamped. Following it sets `users.email_verified_at` once; following it again (or a mail scanner
fetching it first) changes nothing. A link names the address it was sent to, so it never verifies an
address the account has since moved to. With AGORA_REQUIRE_EMAIL_VERIFICATION, signed-in pages and the
JSON API refuse an unverified account (agora.web.deps.required_user); browsing the store needs nothing.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit import chain as audit
from agora.db import rows_changed, utcnow
from agora.errors import InvalidInput
from agora.i18n import gettext as _

VERIFY_HOURS = 48
_SALT = "agora.email-verification"


def _signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def token_for(secret_key: str, user: User) -> str:
    return _signer(secret_key).dumps({"u": user.id, "e": user.email})


def needs_link(user: User | None) -> bool:
    """An account that still has to verify its address (and can sign in to use it)."""
    return user is not None and user.email_verified_at is None and user.deactivated_at is None


def _invalid() -> InvalidInput:
    return InvalidInput(_("This confirmation link has expired or is not for this account's address. Ask for a new one."),
                        field="token", code="verification_link_invalid")


def verify(session: Session, secret_key: str, token: str, *, ip: str = "") -> User:
    """Mark the link's account verified (once), or a 422 saying the link does not work."""
    try:
        data = _signer(secret_key).loads(token, max_age=VERIFY_HOURS * 3600)
    except (SignatureExpired, BadSignature):
        raise _invalid() from None
    user = session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or user.email != data.get("e"):
        raise _invalid()
    # Compare-and-set: two clicks (or two tabs) record one verification and one audit entry.
    if rows_changed(session.execute(update(User).where(User.id == user.id, User.email_verified_at.is_(None)).values(email_verified_at=utcnow()))):
        session.refresh(user)
        audit.record(session, "auth.email_verified", actor=user, target_type="user", target_id=user.id, details={"email": user.email}, ip=ip)
    return user
