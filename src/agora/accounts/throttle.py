"""Login rate limits: too many failures for one email or from one address pause logins.

Failures are rows in the database, so every worker and machine counts the same ones.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from agora.accounts.models import LoginAttempt
from agora.config import Settings
from agora.db import utcnow
from agora.errors import TooManyRequests
from agora.i18n import gettext as _


def check(session: Session, settings: Settings, *, email: str, ip: str) -> None:
    """Raise TooManyRequests when this email or this address has failed too often lately."""
    window = timedelta(minutes=settings.login_window_minutes)
    since = utcnow() - window
    for column, value, limit, field in (
        (LoginAttempt.email, email, settings.login_max_failures_per_email, "email"),
        (LoginAttempt.ip, ip, settings.login_max_failures_per_ip, None),
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(LoginAttempt.attempted_at)).where(column == value, LoginAttempt.attempted_at > since)
        ).one()
        if count >= limit:
            wait = max(1, math.ceil((oldest + window - utcnow()).total_seconds()))
            minutes = max(1, math.ceil(wait / 60))
            if field == "email":
                message = _("Too many failed logins for this email. Try again in %(minutes)d minutes, or reset your password.", minutes=minutes)
            else:
                message = _("Too many failed logins from your network. Try again in %(minutes)d minutes.", minutes=minutes)
            raise TooManyRequests(message, retry_after=wait, field=field)


def record_failure(session: Session, *, email: str, ip: str) -> None:
    session.add(LoginAttempt(email=email, ip=ip))


def forget_failures(session: Session, *, email: str) -> None:
    """A successful login clears that email's failures (not the address's)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
