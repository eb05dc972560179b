"""Which GPTs a user may chat with: the builder's one rule (`agora.gpts.access`), "use"."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.errors import NotFound
from agora.gpts import access as gpt_access
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.text import fold


def usable(viewer: User) -> ColumnElement[bool]:
    """Published GPTs shared with the viewer (public, link, their workspaces) and their own."""
    return gpt_access.allowed(viewer, "use") & Gpt.published_version.is_not(None)


def find_usable(session: Session, gpt_id: str, viewer: User, *, field: str = "gpt_id") -> Gpt:
    gpt = session.scalar(select(Gpt).where(Gpt.id == gpt_id, usable(viewer)))
    if gpt is None:
        raise NotFound(_("You cannot chat with GPT %(id)s: it does not exist or is not shared with you.", id=gpt_id), field=field)
    return gpt


def mentionable(session: Session, viewer: User, query: str, *, limit: int = 8) -> list[Gpt]:
    """GPTs for the composer's @ list: usable ones, without other people's link-only GPTs
    (a link is shared privately; it is not a listing)."""
    listed = usable(viewer) & ((Gpt.visibility != "link") | (Gpt.owner_id == viewer.id))
    statement = select(Gpt).where(listed)
    for word in fold(query).split()[:4]:
        statement = statement.where(Gpt.search_text.contains(word, autoescape=True))
    return list(session.scalars(statement.order_by(Gpt.name).limit(limit)))
