"""Team workspace tables; the workspaces and memberships themselves live in accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class TeamSettings(Base):
    __tablename__ = "team_settings"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    # Admins may keep members to the team's own GPTs (no public store GPTs by other builders).
    allow_store_gpts: Mapped[bool] = mapped_column(Boolean, default=True)
    # The only domains (and their subdomains) the team's GPTs' actions and tools may reach; none: any the
    # operator's outbound guard allows (agora.outbound narrows to this list, never widens past the guard).
    outbound_domains: Mapped[list[str] | None] = mapped_column(JSON)


class ActiveWorkspace(Base):
    """The workspace a user chose to work in; none means their personal workspace."""

    __tablename__ = "active_workspaces"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))


class Invite(Base):
    """An emailed invitation link; only the SHA-256 of its token is stored."""

    __tablename__ = "workspace_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(10), default="member")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
