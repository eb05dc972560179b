"""Credit holds: a priced message's money reserved at admission, charged when its reply completes or released.

A hold is what makes concurrent sends safe: admission reserves the price under a lock on the
user's credit account, so two sends cannot both spend the same last credit; the reply's
outcome then charges it (one ledger entry) or releases it. A hold whose reply never reports
(a worker killed mid-reply) stops counting after AGORA_CREDIT_HOLD_MINUTES.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow

HELD, CHARGED, RELEASED, UNPAID = "held", "charged", "released", "unpaid"
CREDIT, ALLOWANCE = "credit", "allowance"  # who pays: the user's credit, or their plan's allowance of priced messages


class CreditHold(Base):
    __tablename__ = "credit_holds"
    __table_args__ = (Index("ix_credit_holds_user_id_status_created_at", "user_id", "status", "created_at"),)

    key: Mapped[str] = mapped_column(String(40), primary_key=True)  # the ledger entry's key is derived from it: charged once
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    gpt_id: Mapped[str] = mapped_column(String(13))
    builder_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    price: Mapped[int] = mapped_column(BigInteger)  # millis
    funding: Mapped[str] = mapped_column(String(10))  # credit or allowance
    status: Mapped[str] = mapped_column(String(10), default=HELD)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))
