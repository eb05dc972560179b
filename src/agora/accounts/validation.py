"""Checks on what people type when they create or change an account."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from agora.errors import InvalidInput
from agora.i18n import gettext as _

MIN_PASSWORD = 10
MAX_PASSWORD = 200
MAX_NAME = 80
HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
# Handles that would read as the platform speaking.
RESERVED_HANDLES = frozenset({"admin", "agora", "api", "support", "staff", "store", "system", "root", "help"})


def clean_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(_("Enter a valid email address, like name@example.com (%(reason)s).", reason=str(exc)), field="email") from exc


def clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(_("Enter a display name: it is shown on your GPTs and reviews."), field="display_name")
    if len(name) > MAX_NAME:
        raise InvalidInput(_("Display names are at most %(max)d characters.", max=MAX_NAME), field="display_name")
    return name


def clean_password(password: str, field: str = "password") -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(_("Passwords need at least %(min)d characters.", min=MIN_PASSWORD), field=field)
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(_("Passwords are at most %(max)d characters.", max=MAX_PASSWORD), field=field)
    return password


def clean_handle(handle: str) -> str:
    handle = handle.strip().lower()
    if not HANDLE_RE.match(handle):
        raise InvalidInput(
            _("Handles are 3 to 40 lower-case letters, digits or hyphens, starting and ending with a letter or digit."),
            field="handle",
        )
    if handle in RESERVED_HANDLES:
        raise InvalidInput(_("The handle %(handle)s is reserved; choose another.", handle=handle), field="handle")
    return handle
