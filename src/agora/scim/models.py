"""SCIM tables: a workspace's bearer tokens, and the Users and Groups its identity provider keeps in Agora."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class ScimToken(Base):
    """A bearer token an identity provider provisions one workspace with; only its SHA-256 is kept."""

    __tablename__ = "scim_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # 256 random bits: a plain hash is enough, and it is looked up directly.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(24))  # what the page shows to tell tokens apart
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScimUser(Base):
    """A person as the workspace's identity provider describes them, linked to their Agora account.

    `document` is the resource as the provider last wrote it (what Agora does not act on
    is kept and given back as written); the columns are what Agora acts on and looks up by.
    """

    __tablename__ = "scim_users"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", name="uq_scim_users_workspace_id_user_id"),
        UniqueConstraint("workspace_id", "user_name_key", name="uq_scim_users_workspace_id_user_name_key"),
        Index("ix_scim_users_workspace_external", "workspace_id", "external_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID: SCIM ids are never reused
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_name: Mapped[str] = mapped_column(String(254))
    user_name_key: Mapped[str] = mapped_column(String(254))  # lower-cased: userName is unique case-insensitively
    external_id: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)  # the ETag, W/"version"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScimGroup(Base):
    """A group the identity provider pushes; its members' workspace roles follow the group mapping."""

    __tablename__ = "scim_groups"
    __table_args__ = (Index("ix_scim_groups_workspace_name", "workspace_id", "display_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScimGroupMember(Base):
    __tablename__ = "scim_group_members"

    group_id: Mapped[str] = mapped_column(ForeignKey("scim_groups.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("scim_users.id", ondelete="CASCADE"), primary_key=True, index=True)
