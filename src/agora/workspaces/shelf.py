"""The shelf of each workspace on the workspaces page: the GPTs shared with it (`workspace`
visibility) that the viewer may use, by the same rule as the chat (`agora.gpts.access.usable`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.gpts import access
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt, GptVersion

# A team shares tens of GPTs, not thousands; past this the page would stop being a glance.
MAX_SHOWN = 500


@dataclass(frozen=True)
class ShelfCard:
    """What a card shows (the fields of `card` in macros.html)."""

    id: str
    name: str
    description: str
    avatar: str
    builder_name: str


def shared_gpts(session: Session, viewer: User, workspace_ids: list[int], language: str) -> dict[int, list[ShelfCard]]:
    """Workspace id -> its shared GPTs the viewer may use, by name; one query for every workspace."""
    rows = session.execute(
        select(Gpt.id, Gpt.workspace_id, GptVersion.content, User.display_name)
        .join(GptVersion, (GptVersion.gpt_id == Gpt.id) & (GptVersion.number == Gpt.published_version))
        .join(User, User.id == Gpt.owner_id)
        .where(Gpt.visibility == "workspace", Gpt.workspace_id.in_(workspace_ids), access.usable(viewer))
        .order_by(Gpt.name, Gpt.id)
        .limit(MAX_SHOWN)
    )
    shelves: dict[int, list[ShelfCard]] = defaultdict(list)
    for gpt_id, workspace_id, raw, builder in rows:
        content = GptContent.model_validate(raw)
        shelves[workspace_id].append(ShelfCard(
            id=gpt_id, name=str(content.text("name", language)), description=str(content.text("description", language)),
            avatar=content.avatar, builder_name=builder,
        ))
    return dict(shelves)
