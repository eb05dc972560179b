"""What a builder's plan lets them do with GPTs: the use cases (agora.gpts.usecases) ask here before writing.

Creating a GPT (from scratch, by fork or by import) needs the plan's `create_gpts`. The
store lists public GPTs, so making a GPT public, or publishing a new version of a public
one, needs `publish_to_store`: a builder whose plan lapsed keeps the versions already
listed, and can still edit, share by link or with a workspace, but cannot put new ones in
the store. Operator commands (the demo seed, `agora gpts import --owner`) act for the
store itself and do not ask.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.billing import entitlements
from agora.config import Settings
from agora.gpts.models import Gpt


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
