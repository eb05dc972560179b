"""Audit tables: the hash-chained entries, and the chain's head (where the next entry links, what was pruned)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime

GENESIS = "0" * 64  # the previous hash of the first entry ever written


class AuditEntry(Base):
    """One thing that happened. Never updated; deleted only by retention, behind a checkpoint.

    Ids of people and workspaces are plain integers, not foreign keys: the record of what
    someone did outlives their account, and a cascade must never remove a link of the chain.
    `hash` is SHA-256 over the entry's fields and `prev_hash` (agora.audit.chain.digest).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_workspace_seq", "workspace_id", "seq"),
        Index("ix_audit_entries_actor_seq", "actor_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)  # 1, 2, 3... in chain order, no gaps
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    workspace_id: Mapped[int | None] = mapped_column()  # None: about an account, or the instance
    actor_id: Mapped[int | None] = mapped_column()  # None: a system (SCIM, the clock, the command line)
    actor: Mapped[str] = mapped_column(String(254))  # who, as a person reads it: an email, "scim: Okta", "system"
    action: Mapped[str] = mapped_column(String(60), index=True)  # "auth.sign_in", "gpt.published"...
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # unique: two entries can never follow the same one
    hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """The chain's head, one row (id 1). Appending locks it, so appends take turns: on PostgreSQL
    the row lock, on SQLite the database's write lock its UPDATE takes.

    It also says where the chain starts once retention pruned old entries: after entry
    `pruned_through`, whose hash was `pruned_hash` (the checkpoint entry written by the
    pruning says the same, so editing these columns is detected too)."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0)
    pruned_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
