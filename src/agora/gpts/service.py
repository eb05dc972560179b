"""Creating GPTs and freezing their drafts into published versions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.db import utcnow
from agora.gpts.content import GptContent
from agora.gpts.ids import new_gpt_id
from agora.gpts.models import Gpt, GptVersion
from agora.store.models import Category
from agora.text import fold


class UnknownCategory(ValueError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"unknown category {slug!r}: use one of the slugs GET /api/store/categories lists")
        self.slug = slug


def create_gpt(
    session: Session,
    *,
    owner: User,
    workspace_id: int,
    content: GptContent,
    visibility: str = "private",
    allow_forks: bool = False,
    source: str | None = None,
) -> Gpt:
    _category_id(session, content.category)  # refuse unknown categories before writing
    gpt = Gpt(
        id=new_gpt_id(),
        owner_id=owner.id,
        workspace_id=workspace_id,
        visibility=visibility,
        allow_forks=allow_forks,
        source=source,
        draft=content.model_dump(mode="json"),
        name=content.name,
    )
    session.add(gpt)
    session.flush()
    return gpt


def publish(session: Session, gpt: Gpt, *, author: User, note: str = "") -> GptVersion:
    """Freeze the current draft as the next immutable version and make it the live one."""
    content = GptContent.model_validate(gpt.draft)
    number = (gpt.published_version or 0) + 1
    version = GptVersion(gpt_id=gpt.id, number=number, content=gpt.draft, note=note, author_id=author.id)
    session.add(version)
    gpt.published_version = number
    gpt.published_at = utcnow()
    gpt.name = content.name
    gpt.category_id = _category_id(session, content.category)
    gpt.search_text = search_text(content)
    session.flush()
    return version


def published_content(session: Session, gpt: Gpt) -> GptContent | None:
    if gpt.published_version is None:
        return None
    content = session.scalar(
        select(GptVersion.content).where(GptVersion.gpt_id == gpt.id, GptVersion.number == gpt.published_version)
    )
    return GptContent.model_validate(content)


def search_text(content: GptContent) -> str:
    parts = [content.name, content.description, *content.tags]
    for translated in content.localized.values():
        parts += [translated.name, translated.description]
    return fold(" ".join(p for p in parts if p))


def _category_id(session: Session, slug: str) -> int:
    category_id = session.scalar(select(Category.id).where(Category.slug == slug))
    if category_id is None:
        raise UnknownCategory(slug)
    return category_id
