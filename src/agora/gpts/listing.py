"""My GPTs: the GPTs a user builds, with where each one stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.gpts import access
from agora.gpts.models import Gpt, GptVersion


@dataclass(frozen=True)
class MyGpt:
    id: str
    name: str
    avatar: str
    status: str  # draft: never published; published: live = draft; changed: unpublished edits
    visibility: str
    published_version: int | None
    updated_at: datetime
    forked_from: str | None
    forked_from_name: str | None


def mine(session: Session, user: User) -> list[MyGpt]:
    """The user's GPTs (and those they edit as a workspace admin), last edited first."""
    rows = session.execute(
        select(Gpt, GptVersion.content)
        .outerjoin(GptVersion, (GptVersion.gpt_id == Gpt.id) & (GptVersion.number == Gpt.published_version))
        .where(access.allowed(user, "edit"))
        .order_by(Gpt.updated_at.desc(), Gpt.id)
    ).all()
    sources = credits(session, {gpt.forked_from_id for gpt, _ in rows if gpt.forked_from_id}, user)
    result = []
    for gpt, live_content in rows:
        if live_content is None:
            status = "draft"
        else:
            status = "published" if live_content == gpt.draft else "changed"
        result.append(
            MyGpt(
                id=gpt.id,
                name=gpt.draft.get("name", ""),
                avatar=gpt.draft.get("avatar", ""),
                status=status,
                visibility=gpt.visibility,
                published_version=gpt.published_version,
                updated_at=gpt.updated_at,
                forked_from=gpt.forked_from_id,
                forked_from_name=sources.get(gpt.forked_from_id or ""),
            )
        )
    return result


def credits(session: Session, ids: set[str], viewer: User | None) -> dict[str, str]:
    """Names of the source GPTs forks credit, for the sources this viewer may still see."""
    if not ids:
        return {}
    rows = session.execute(select(Gpt.id, Gpt.name).where(Gpt.id.in_(ids), access.allowed(viewer, "view")))
    return {gpt_id: name for gpt_id, name in rows}  # noqa: C416 - dict(rows) reads a Result as a mapping: it has keys()
