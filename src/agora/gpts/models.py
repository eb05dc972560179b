"""GPT tables: the GPT with its mutable draft, and its immutable published versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class Gpt(Base):
    __tablename__ = "gpts"
    __table_args__ = (
        # The store lists public, live GPTs by category, newest first.
        Index("ix_gpts_listing", "visibility", "deleted_at", "category_id", "published_at"),
    )

    id: Mapped[str] = mapped_column(String(13), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    visibility: Mapped[str] = mapped_column(String(10), default="private")
    allow_forks: Mapped[bool] = mapped_column(default=False)
    # Indexed: a GPT page counts its forks, and a fork credits its source.
    forked_from_id: Mapped[str | None] = mapped_column(ForeignKey("gpts.id"), index=True)
    # Where an imported or seeded GPT came from (e.g. "lobehub:9-somboon"); makes seeding idempotent.
    source: Mapped[str | None] = mapped_column(String(200), unique=True)
    draft: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_version: Mapped[int | None]
    # Copied from the latest published version so listings need no JSON parsing.
    name: Mapped[str] = mapped_column(String(60), default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    # Accent-folded, lower-cased names, descriptions and tags in every language.
    search_text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the GPT stands with the store's review (agora.moderation decides, through gpts.service.set_review_state):
    # draft (never submitted), pending, listed, rejected or delisted. Only a listed one is in the store.
    review_state: Mapped[str] = mapped_column(String(10), default="draft", server_default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What each message costs those who pay for it, in minor units (cents) of AGORA_CREDITS_CURRENCY; None: free (agora.credits).
    price_per_message: Mapped[int | None]


class GptVersion(Base):
    __tablename__ = "gpt_versions"
    __table_args__ = (UniqueConstraint("gpt_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"))
    number: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
