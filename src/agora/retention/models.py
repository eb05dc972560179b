"""The retention table: each team's rule for its conversations, and its legal hold."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class RetentionPolicy(Base):
    """How long a team keeps the conversations held with its GPTs; no row means forever.

    A conversation expires `days` after its last activity (Conversation.updated_at). While
    `legal_hold` is on, nothing of the workspace is deleted, whatever its age.
    """

    __tablename__ = "retention_policies"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    days: Mapped[int | None] = mapped_column()  # 30, 90 or 365; None: kept forever
    legal_hold: Mapped[bool] = mapped_column(default=False)
    hold_reason: Mapped[str] = mapped_column(String(500), default="")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
