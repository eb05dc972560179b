"""Revenue pool tables: each month's pool per currency, and what each GPT earned from it.

Written once per month and currency by `agora payouts run` (the primary keys make a second
run, or two at once, change nothing); the money itself moves in the ledger.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
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


class PayoutProfile(Base):
    """Where and to whom a builder is paid: required, with their tax information, before a first payout."""

    __tablename__ = "payout_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    method: Mapped[str] = mapped_column(String(10))  # stripe (a Connect account) or bank (the operator's transfer, from the CSV)
    stripe_account: Mapped[str] = mapped_column(String(40), default="")  # acct_...
    bank_holder: Mapped[str] = mapped_column(String(100), default="")
    bank_iban: Mapped[str] = mapped_column(String(34), default="")
    bank_bic: Mapped[str] = mapped_column(String(11), default="")
    legal_name: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    tax_id: Mapped[str] = mapped_column(String(30))  # the builder's tax identification number (VAT, EIN, SIRET...)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payout(Base):
    """One builder's payout of a month's run: their payable balance, moved to `payouts_in_transit` and then sent (or returned)."""

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("month", "builder_id", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # Stripe's idempotency key for its transfer
    month: Mapped[str] = mapped_column(String(7))
    builder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units (whole cents): what is sent
    method: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))  # in_transit, paid, failed
    transfer_id: Mapped[str | None] = mapped_column(String(100), unique=True)  # Stripe's tr_...
    reason: Mapped[str] = mapped_column(String(300), default="")  # why it failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PayoutSkip(Base):
    """A builder a month's run did not pay, and why (no payout details, below the minimum...): shown to them and the operator."""

    __tablename__ = "payout_skips"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    builder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    payable: Mapped[int] = mapped_column(BigInteger)  # millis
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
