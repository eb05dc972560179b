"""Moderation tables: review cases (a submission to the store, or a GPT hidden by reports), reports, moderators, clone fingerprints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class ReviewCase(Base):
    """One thing a moderator may have to decide about a GPT: a version submitted to the store (kind "submission")
    or a listed GPT that reports hid (kind "reports"). The latest case of a GPT is where it stands."""

    __tablename__ = "moderation_cases"
    __table_args__ = (
        Index("ix_moderation_cases_gpt", "gpt_id", "id"),
        Index("ix_moderation_cases_state", "state", "opened_at"),  # the queue: pending cases, oldest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"))
    builder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int]  # the GPT's version under review
    kind: Mapped[str] = mapped_column(String(12), default="submission")  # submission or reports
    # pending, listed, rejected, delisted; superseded when a newer submission replaced it before a decision
    state: Mapped[str] = mapped_column(String(12))
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: decided by the rules (no person needed)
    reason_code: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # shown to the builder
    # A delisting announced to the builder: the GPT stays listed until then (severe categories: no notice).
    delist_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appeal: Mapped[str | None] = mapped_column(Text)  # the builder's one appeal of this case's decision
    appealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appeal_outcome: Mapped[str | None] = mapped_column(String(10))  # reversed or upheld
    appeal_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Report(Base):
    """A user's report of a GPT, a review or a shared conversation; open until a moderator's decision resolves it."""

    __tablename__ = "moderation_reports"
    __table_args__ = (
        # One open report per person and target: a double submit is refused, not counted twice.
        Index("uq_moderation_reports_open", "reporter_id", "target_type", "target_id", unique=True,
              sqlite_where=text("resolved_at IS NULL"), postgresql_where=text("resolved_at IS NULL")),
        Index("ix_moderation_reports_gpt", "gpt_id", "resolved_at"),
        Index("ix_moderation_reports_reporter", "reporter_id", "created_at"),  # the reporter's rate limit
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(10))  # gpt, review or share
    target_id: Mapped[str] = mapped_column(String(64))
    gpt_id: Mapped[str | None] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"))  # the GPT concerned
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Moderator(Base):
    """Someone an administrator made a moderator (administrators moderate anyway)."""

    __tablename__ = "moderators"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Fingerprint(Base):
    """A listed GPT's instructions as a MinHash signature, for the clone check (agora.moderation.clones)."""

    __tablename__ = "moderation_fingerprints"

    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"), primary_key=True)
    builder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signature: Mapped[list[int]] = mapped_column(JSON)
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FingerprintBand(Base):
    """One LSH band of a fingerprint: GPTs sharing a band are the candidates a new GPT is compared with."""

    __tablename__ = "moderation_fingerprint_bands"
    __table_args__ = (Index("ix_moderation_fingerprint_bands_band", "band"),)

    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    band: Mapped[str] = mapped_column(String(40))


class MessageFlag(Base):
    """A chat exchange the message guardrails flagged or blocked (agora.moderation.messages): the person's message and the
    reply, as moderators may read them, until a moderator marks it reviewed (which erases both texts)."""

    __tablename__ = "moderation_message_flags"
    __table_args__ = (Index("ix_moderation_message_flags_open", "reviewed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # the reply's usage key: a retried write records it once
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(10))  # web, api or preview
    gpt_id: Mapped[str | None] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"))  # None: a base model through /v1
    conversation_id: Mapped[str | None] = mapped_column(String(32))  # the chat's; kept as text: deleting the conversation keeps the flag
    message_id: Mapped[int | None]  # the stored reply's id (web)
    action: Mapped[str] = mapped_column(String(5))  # the strongest of the two verdicts: flag or block
    message_action: Mapped[str] = mapped_column(String(5), default="")  # "" when the message passed
    message_categories: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    reply_action: Mapped[str] = mapped_column(String(5), default="")  # "" when the reply passed or there was none
    reply_categories: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    provider: Mapped[str] = mapped_column(String(40), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str | None] = mapped_column(Text)  # None: no reply (the message was blocked)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
