"""Revenue pool tables: each month's pool per currency, and what each GPT earned from it.

Written once per month and currency by `agora payouts run` (the primary keys make a second
run, or two at once, change nothing); the money itself moves in the ledger.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class PoolMonth(Base):
    """A month's revenue pool in one currency, as computed and allocated (amounts in millis)."""

    __tablename__ = "pool_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM, UTC
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    net_revenue: Mapped[int] = mapped_column(BigInteger)
    share_percent: Mapped[int]
    pool: Mapped[int] = mapped_column(BigInteger)  # what the share of net revenue comes to
    allocated: Mapped[int] = mapped_column(BigInteger)  # the pool when any GPT was eligible, else 0
    units: Mapped[int] = mapped_column(BigInteger)  # engagement units of the eligible GPTs
    eligible_gpts: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PoolShare(Base):
    """One eligible GPT's part of a month's pool: its engagement and what it earned its builder."""

    __tablename__ = "pool_shares"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    gpt_id: Mapped[str] = mapped_column(String(13), primary_key=True)
    builder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    users: Mapped[int]
    units: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # millis
