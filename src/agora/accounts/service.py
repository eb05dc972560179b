"""Account rules: sign-up, log-in, password changes, preferences."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora import events
from agora.accounts import sessions, throttle, validation
from agora.accounts.models import Membership, User, Workspace
from agora.accounts.passwords import hash_password, needs_rehash, verify_password
from agora.audit import chain as audit
from agora.config import Settings
from agora.db import utcnow
from agora.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from agora.i18n import gettext as _
from agora.i18n import normalize
from agora.text import slugify

# Who refuses password sign-in and sign-up for an email: single sign-on (above accounts) hands
# its check down when loaded (agora.sso.domains), for domains a workspace made "SSO only".
_password_refusers: list[Callable[[Session, str], str | None]] = []


def refuse_passwords_with(check: Callable[[Session, str], str | None]) -> None:
    """`check(session, email)` returns why that email may not use a password (None: it may)."""
    _password_refusers[:] = [check]


def _refuse_password(session: Session, email: str) -> None:
    for check in _password_refusers:
        if (reason := check(session, email)) is not None:
            raise Forbidden(reason, field="email", code="sso_only")


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str | None,
    handle: str = "",
    role: str = "user",
    language: str | None = None,
    website: str = "",
    bio: str = "",
    ip: str | None = None,
    email_verified: bool | None = None,
) -> User:
    """Create a user and their personal workspace, or raise naming the bad field.

    `ip`: the address a sign-up came from, remembered as the user's own (see throttle).
    `email_verified`: whether the address is known to be theirs; by default, accounts without a password
    (an identity provider's, SCIM's, the demo's) are, and a person signing up with a password is not yet.
    """
    email = validation.clean_email(email)
    display_name = validation.clean_name(display_name)
    if password is not None:
        validation.clean_password(password)
        _refuse_password(session, email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(_("An account with this email already exists. Log in instead, or use another email."), field="email")
    if handle:
        handle = validation.clean_handle(handle)
        if handle_taken(session, handle):
            raise Conflict(_("The handle %(handle)s is taken; choose another.", handle=handle), field="handle")
    else:
        handle = free_handle(session, display_name or email.split("@")[0])
    user = User(
        email=email,
        display_name=display_name,
        handle=handle,
        password_hash=hash_password(password) if password is not None else None,
        role=role,
        language=normalize(language),
        website=website,
        bio=bio,
        email_verified_at=utcnow() if (password is None if email_verified is None else email_verified) else None,
    )
    session.add(user)
    try:
        with session.begin_nested():  # a concurrent sign-up may win the unique race
            session.flush()
    except IntegrityError as exc:
        raise Conflict(_("An account with this email or handle was just created. Try again."), field="email") from exc
    workspace = Workspace(name=display_name, kind="personal", owner_id=user.id)
    session.add(workspace)
    session.flush()
    session.add(Membership(workspace_id=workspace.id, user_id=user.id, role="owner"))
    if ip is not None:
        throttle.remember_address(session, user=user, ip=ip)
    return user


def handle_taken(session: Session, handle: str) -> bool:
    return session.scalar(select(User.id).where(func.lower(User.handle) == handle.lower())) is not None


def free_handle(session: Session, wish: str) -> str:
    """A valid, unused handle close to `wish` (a name or an email's local part)."""
    base = slugify(wish, max_length=34) or "builder"
    if len(base) < 3 or base in validation.RESERVED_HANDLES:
        base = f"{base}-gpts".strip("-")
    candidate, n = base, 1
    while handle_taken(session, candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def authenticate(session: Session, settings: Settings, *, email: str, password: str, ip: str) -> User:
    """The user these credentials belong to; every attempt counts against the rate limits until it succeeds."""
    email = email.strip().lower()
    throttle.reserve(session, settings, email=email, ip=ip)  # first: its transaction must begin with it
    _refuse_password(session, email)
    user = session.scalar(select(User).where(User.email == email))
    # Ends the read before the slow check: on SQLite, a transaction that has read cannot then
    # write once another has written meanwhile (it fails at once instead of waiting).
    session.commit()
    if not verify_password(user.password_hash if user else None, password):
        raise Unauthorized(_("Wrong email or password. Check both and try again."), field="password")
    assert user is not None
    if not may_sign_in(user):
        raise Forbidden(_("This account is deactivated by its organisation. Ask your administrator."), field="email", code="deactivated")
    throttle.succeeded(session, user=user, ip=ip)
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    audit.record(session, "auth.signed_in", actor=user, target_type="user", target_id=user.id, details={"method": "password"}, ip=ip)
    return user


def update_identity(session: Session, user: User, *, email: str, display_name: str) -> None:
    """An organisation's provisioning renames a person or moves them to another address."""
    name, email = validation.clean_name(display_name), validation.clean_email(email)
    if email != user.email:
        if user_by_email(session, email) is not None:
            raise Conflict(_("An account with this email already exists. Log in instead, or use another email."), field="email")
        user.email = email
    if name != user.display_name:
        user.display_name = name
        events.publish(events.UserRenamed(session, user.id))


def may_sign_in(user: User) -> bool:
    return user.deactivated_at is None


def deactivate(session: Session, user: User) -> int:
    """Turn the account off: every session ends now, and its API keys stop working (sign-ins and
    keys check the mark; /v1 remembers a key for seconds). Returns how many sessions ended."""
    if user.deactivated_at is None:
        user.deactivated_at = utcnow()
    return sessions.end_all(session, user.id)


def reactivate(user: User) -> None:
    """Turn the account on again; its API keys work again, sessions start with the next sign-in."""
    user.deactivated_at = None


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise InvalidInput(_("Your current password is not right."), field="current_password")
    validation.clean_password(new, field="new_password")
    user.password_hash = hash_password(new)


def set_password(session: Session, email: str, new: str) -> User:
    """An administrator sets a new password for someone who forgot theirs (without a mail server there are no reset links).

    The email's failed logins are forgotten, so the owner is not left locked out by them.
    """
    user = user_by_email(session, email)
    if user is None:
        raise NotFound(_("There is no account with the email %(email)s.", email=email), field="email")
    validation.clean_password(new, field="password")
    user.password_hash = hash_password(new)
    throttle.forget_failures(session, email=user.email)
    audit.record(session, "auth.password_set", actor_label="agora set-password", target_type="user", target_id=user.id)
    return user


def set_language(user: User, language: str) -> None:
    if normalize(language) is None:
        raise InvalidInput(_("Unknown language; choose en or fr."), field="language")
    user.language = language


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def personal_workspace_id(session: Session, user: User) -> int:
    # Every account gets its personal workspace when it is made (create_user), so there is one.
    return session.scalars(_PERSONAL_WORKSPACE, {"owner_id": user.id}).one()


# Built once: every chat message and /v1 GPT call of a personal plan reads it (building a statement costs more than running it).
_PERSONAL_WORKSPACE = (select(Workspace.id).where(Workspace.owner_id == bindparam("owner_id"), Workspace.kind == "personal")
                       .order_by(Workspace.id).limit(1))
