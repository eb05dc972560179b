"""The demo store's made-up activity, kept apart from real usage so it is known for what it is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class DemoActivity(Base):
    """What `agora seed-demo` added to one demo GPT's listing so a new store does not look empty:
    conversations and ratings drawn at random, and the reviews its demo reviewers wrote.

    Demo activity goes into the listing's counters and trending score only, never into usage
    (usage_records and its rollups, which the revenue pool reads): it earns nothing. One row
    per GPT also makes seeding idempotent, and says how much of a listing's numbers is demo.
    """

    __tablename__ = "demo_activity"

    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"), primary_key=True)
    conversations: Mapped[int] = mapped_column(BigInteger)
    rating_sum: Mapped[int] = mapped_column(BigInteger)
    rating_count: Mapped[int]
    reviews: Mapped[int]
    seeded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
