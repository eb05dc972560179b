"""What a builder's plan lets them do with GPTs: the use cases (agora.gpts.usecases) ask here before writing.

Creating a GPT (from scratch, by fork or by import) needs the plan's `create_gpts`. The
store lists public GPTs, so making a GPT public, or publishing a new version of a public
one, needs `publish_to_store`: a builder whose plan lapsed keeps the versions already
listed, and can still edit, share by link or with a workspace, but cannot put new ones in
the store. Operator commands (the demo seed, `agora gpts import --owner`) act for the
store itself and do not ask.

A package above the builder may add what a GPT needs before it is listed (`add_listing_check`:
agora.actions asks for the privacy policy of each of its actions); those checks run where the
plan's `publish_to_store` is asked.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.billing import entitlements
from agora.config import Settings
from agora.gpts.models import Gpt

# Raise (an AgoraError naming the field) when the GPT may not be listed in the store as it is.
ListingCheck = Callable[[Session, Gpt], None]
_listing_checks: list[ListingCheck] = []


def add_listing_check(check: ListingCheck) -> None:
    if check not in _listing_checks:
        _listing_checks.append(check)


def before_create(session: Session, user: User, settings: Settings, *, visibility: str) -> None:
    entitlements.check_create(session, user, settings)
    if visibility == "public":
        entitlements.check_store_listing(session, user, settings)


def before_change(session: Session, user: User, settings: Settings, gpt: Gpt, *, visibility: str | None, publishing: bool) -> None:
    """Before a draft save (with its sharing settings) or a publish of `gpt`."""
    becomes_public = visibility == "public" and gpt.visibility != "public"
    publishes_public = publishing and (visibility or gpt.visibility) == "public"
    if becomes_public or publishes_public:
        entitlements.check_store_listing(session, user, settings)
        for check in _listing_checks:
            check(session, gpt)
