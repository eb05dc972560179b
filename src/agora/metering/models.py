"""Usage records: one append-only row per finished assistant reply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class UsageRecord(Base):
    __tablename__ = "usage_records"
    __table_args__ = (
        Index("ix_usage_records_user_created", "user_id", "created_at"),
        Index("ix_usage_records_gpt_created", "gpt_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # None for an API call to a base model, which involves no GPT.
    gpt_id: Mapped[str | None] = mapped_column(ForeignKey("gpts.id"))
    gpt_version: Mapped[int | None]
    model: Mapped[str] = mapped_column(String(100))
    # No foreign key: usage outlives deleted conversations (it is what was consumed).
    message_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10))
    # "web" (the chat pages and their JSON API) or "api" (/v1).
    source: Mapped[str] = mapped_column(String(10), default="web", server_default="web")
    prompt_tokens: Mapped[int]
    completion_tokens: Mapped[int]
    latency_ms: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
