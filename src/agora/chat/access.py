"""Which GPTs a user may @-mention in a conversation: usable ones (`agora.gpts.access.usable`) worth listing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.gpts import access as gpt_access
from agora.gpts.models import Gpt
from agora.text import fold


def mentionable(session: Session, viewer: User, query: str, *, limit: int = 8) -> list[Gpt]:
    """GPTs for the composer's @ list: usable ones, without other people's link-only GPTs
    (a link is shared privately; it is not a listing)."""
    listed = gpt_access.usable(viewer) & ((Gpt.visibility != "link") | (Gpt.owner_id == viewer.id))
    statement = select(Gpt).where(listed)
    for word in fold(query).split()[:4]:
        statement = statement.where(Gpt.search_text.contains(word, autoescape=True))
    return list(session.scalars(statement.order_by(Gpt.name).limit(limit)))
