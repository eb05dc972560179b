"""Metering tables: append-only usage events, their daily rollups, and quota counting."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class UsageRecord(Base):
    """One usage event per finished reply (web or API): inserted once, never updated.

    The table keeps the name it had before metering (issue 5's usage records) so no data moves.
    """

    __tablename__ = "usage_records"
    __table_args__ = (
        # Every index costs each ingested event: only what queries use. Per-user and per-GPT
        # questions read the daily rollups; exports read by time; a reply asks whether its
        # conversation is new (migration 0010).
        Index("ix_usage_records_created", "created_at"),
        Index(
            "ix_usage_records_conversation", "conversation_id",
            postgresql_where=text("conversation_id IS NOT NULL"), sqlite_where=text("conversation_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Replays (a retried write, a re-sent API request) carry the same key and are ignored.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    # No foreign keys to users and GPTs (migration 0012): each cost a lookup per ingested
    # event on PostgreSQL. Batch ingestion checks a batch's ids in one query instead, and a
    # reply's user and GPT are rows its request already loaded.
    user_id: Mapped[int]
    workspace_id: Mapped[int | None]
    plan_code: Mapped[str] = mapped_column(String(20), default="free")
    # None for /v1 calls to a base model without a GPT.
    gpt_id: Mapped[str | None] = mapped_column(String(13))
    gpt_version: Mapped[int | None]
    builder_id: Mapped[int | None]
    model: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(10), default="web", server_default="web")
    # No foreign keys: usage outlives deleted conversations (it is what was consumed).
    conversation_id: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10))
    prompt_tokens: Mapped[int]
    completion_tokens: Mapped[int]
    latency_ms: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DailyGptUsage(Base):
    """Per GPT per UTC day: the store's trending and the payouts read this, never the events."""

    __tablename__ = "usage_daily_gpt"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    gpt_id: Mapped[str] = mapped_column(String(13), primary_key=True)
    conversations: Mapped[int] = mapped_column(default=0)
    messages: Mapped[int] = mapped_column(default=0)
    users: Mapped[int] = mapped_column(default=0)
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)


class DailyGptUserUsage(Base):
    """Per GPT, user and UTC day; its rows are the distinct users of DailyGptUsage."""

    __tablename__ = "usage_daily_gpt_user"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    gpt_id: Mapped[str] = mapped_column(String(13), primary_key=True)
    user_id: Mapped[int] = mapped_column(primary_key=True)
    conversations: Mapped[int] = mapped_column(default=0)
    messages: Mapped[int] = mapped_column(default=0)
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)


class QuotaLock(Base):
    """One row per user, locked while their quota is checked and counted (PostgreSQL)."""

    __tablename__ = "quota_locks"

    user_id: Mapped[int] = mapped_column(primary_key=True)
    # With Redis: until then Redis lacks some of the user's sends in the window (counted in
    # the database while Redis did not answer), so the database counts them (metering.quota).
    redis_missing_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageSend(Base):
    """A message counted against the user's rolling-window quota."""

    __tablename__ = "message_sends"
    __table_args__ = (Index("ix_message_sends_user_sent", "user_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign keys to users and GPTs (migration 0012): each cost a lookup per ingested
    # event on PostgreSQL. Batch ingestion checks a batch's ids in one query instead, and a
    # reply's user and GPT are rows its request already loaded.
    user_id: Mapped[int]
    gpt_id: Mapped[str] = mapped_column(String(13))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(UsageRecord, "before_update")
def _usage_is_append_only(mapper, connection, target) -> None:
    raise RuntimeError("usage events are append-only; a correction is a new event")
