"""Ledger tables: accounts with their running balance, entries, and the legs that move money.

Amounts are integers in thousandths of the currency's minor unit ("millis": 1 cent = 1,000),
so a per-message price of a fifth of a cent is exact; invoices and payouts stay in whole
cents and convert at the ledger's edge (agora.ledger.service.to_millis).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class LedgerAccount(Base):
    """Where money sits: the platform's accounts, the revenue pool, each builder's balance,
    each user's credit. `code` names it uniquely (e.g. `builder:42`); `balance` is the sum of
    its legs, kept in the same transaction as each entry (agora ledger verify checks it)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (CheckConstraint("length(currency) = 3", name="currency_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)  # kind[:owner]:currency
    kind: Mapped[str] = mapped_column(String(30))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)  # millis; money into the account is positive
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """One business event that moved money (a subscription paid, a payout...): written once,
    never updated or deleted (database triggers refuse it); a mistake is undone by a reversal."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str] = mapped_column(String(200), default="")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerLeg(Base):
    """One account's side of an entry: the legs of an entry sum to zero (checked by the
    database at commit on PostgreSQL, by agora.ledger.service.post on SQLite)."""

    __tablename__ = "ledger_legs"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_ledger_legs_account_id_entry_id", "account_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id", ondelete="RESTRICT"))
    amount: Mapped[int] = mapped_column(BigInteger)  # millis, signed
