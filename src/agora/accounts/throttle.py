"""Login rate limits: too many failures for one email or from one address pause logins.

An attempt is counted before its password is checked, and the count is checked and taken
one attempt at a time per email and per address, so 30 guesses sent at once get no more
checks than 30 sent one after another. Failures are rows in the database, so every worker
and machine counts the same ones (and a Redis outage cannot open logins to guessing).

The per-email limit would let anyone lock the owner out by guessing, so it does not apply
from an address the owner has logged in from lately: there only that address's failures
for the email count. The per-address limit applies everywhere.
"""

from __future__ import annotations

import math
import threading
from contextlib import ExitStack
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from agora.accounts.models import LoginAddress, LoginAttempt, User
from agora.config import Settings
from agora.db import utcnow
from agora.errors import TooManyRequests
from agora.i18n import gettext as _

# How long an address stays the owner's after a successful login from it.
KNOWN_ADDRESS_DAYS = 90
# Attempts of one worker queue here before taking a database connection to wait on the
# database's lock: 30 attempts at once held 30 pooled connections while they waited, and
# PostgreSQL refused connections ("too many clients") to the rest of the store.
_STRIPES = [threading.Lock() for _ in range(64)]


def reserve(session: Session, settings: Settings, *, email: str, ip: str) -> None:
    """Count an attempt for `email` from `ip`, committed, or raise TooManyRequests.

    The attempt stays counted as a failure unless `succeeded` is called for it.
    """
    with _worker_locks(email, ip):
        now = utcnow()
        window = timedelta(minutes=settings.login_window_minutes)
        _one_at_a_time(session, email=email, ip=ip, since=now - window)
        known = _is_known_address(session, email=email, ip=ip, now=now)
        for where, limit, field in (
            ((LoginAttempt.email == email, LoginAttempt.ip == ip) if known else (LoginAttempt.email == email,),
             settings.login_max_failures_per_email, "email"),
            ((LoginAttempt.ip == ip,), settings.login_max_failures_per_ip, None),
        ):
            count, oldest = session.execute(
                select(func.count(), func.min(LoginAttempt.attempted_at)).where(*where, LoginAttempt.attempted_at > now - window)
            ).one()
            if count >= limit:
                session.rollback()  # releases the database's locks before the refusal travels up
                raise _refusal(field, wait=max(1, math.ceil((oldest + window - now).total_seconds())))
        session.add(LoginAttempt(email=email, ip=ip, attempted_at=now))
        session.commit()  # seen by the next attempt as soon as the locks are released


def succeeded(session: Session, *, user: User, ip: str) -> None:
    """The attempt was right: forget this address's failures for the email, and remember the address.

    Failures from other addresses stay: the owner logging in must not reset a guesser's count.
    """
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email, LoginAttempt.ip == ip))
    remember_address(session, user=user, ip=ip)


def forget_failures(session: Session, *, email: str) -> None:
    """An administrator gave the account a new password: the failures counted against its email no longer mean anything."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))


def remember_address(session: Session, *, user: User, ip: str) -> None:
    """`ip` is one of the user's addresses from now (a log-in or the sign-up was made from it)."""
    now = utcnow()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(LoginAddress)
        .values(user_id=user.id, ip=ip, last_success_at=now)
        .on_conflict_do_update(index_elements=["user_id", "ip"], set_={"last_success_at": now})
    )
    stale = now - timedelta(days=KNOWN_ADDRESS_DAYS)
    session.execute(delete(LoginAddress).where(LoginAddress.user_id == user.id, LoginAddress.last_success_at < stale))


def _worker_locks(email: str, ip: str) -> ExitStack:
    """This worker's locks for the email and the address, always taken in one order (no deadlock)."""
    stack = ExitStack()
    for index in sorted({hash(("email", email)) % len(_STRIPES), hash(("ip", ip)) % len(_STRIPES)}):
        stack.enter_context(_STRIPES[index])
    return stack


def _one_at_a_time(session: Session, *, email: str, ip: str, since: datetime) -> None:
    """Hold, until the transaction ends, the right to count attempts for this email and this address.

    PostgreSQL: two advisory locks, always taken in this order (no deadlock). SQLite: the
    transaction's first statement writes (the expired attempts' removal below), which waits
    for and takes the database's write lock; had it read first, a concurrent writer would make
    it fail instead of wait.
    """
    if session.get_bind().dialect.name == "postgresql":
        for key in (f"login-email:{email}", f"login-ip:{ip}"):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.attempted_at <= since))
    session.execute(delete(LoginAttempt).where(LoginAttempt.ip == ip, LoginAttempt.attempted_at <= since))


def _is_known_address(session: Session, *, email: str, ip: str, now: datetime) -> bool:
    since = now - timedelta(days=KNOWN_ADDRESS_DAYS)
    found = session.scalar(
        select(LoginAddress.id)
        .join(User, User.id == LoginAddress.user_id)
        .where(User.email == email, LoginAddress.ip == ip, LoginAddress.last_success_at > since)
    )
    return found is not None


def _refusal(field: str | None, *, wait: int) -> TooManyRequests:
    minutes = max(1, math.ceil(wait / 60))
    if field == "email":
        message = _(
            "Too many failed logins for this email. Try again in %(minutes)d minutes. "
            "If this is your account, you can still log in from a network where you have logged in before. "
            "Forgot your password? Reset it by email with the link below.",
            minutes=minutes,
        )
    else:
        message = _("Too many failed logins from your network. Try again in %(minutes)d minutes.", minutes=minutes)
    return TooManyRequests(message, retry_after=wait, field=field)
