"""The team store's tables: a workspace's own categories, and where each of its GPTs is shown."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base


class TeamStoreCategory(Base):
    __tablename__ = "team_store_categories"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_team_store_categories_workspace_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))


class TeamStoreEntry(Base):
    """A GPT's place in its workspace's store: a category of the workspace's own, and whether it is a featured pick."""

    __tablename__ = "team_store_entries"

    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("team_store_categories.id", ondelete="SET NULL"), index=True)
    featured: Mapped[bool] = mapped_column(default=False)
