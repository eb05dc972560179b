"""Trending: recent activity with exponential decay, maintained incrementally.

Each day's activity counts with weight 2^((day - EPOCH) / HALF_LIFE_DAYS). Multiplying every
GPT's score by the same factor never changes their order, so instead of decaying all
scores every day, new activity is added with an ever larger weight: the stored number,
read at any time, ranks GPTs exactly as the decayed score would. No request or job ever
scans all usage. See docs/ranking.md.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlalchemy.orm import Session

from agora.store import listings, ranking
from agora.store.models import Listing

EPOCH = date(2026, 1, 1)
HALF_LIFE_DAYS = 3.0
# What one unit of each kind of activity is worth.
USER_WEIGHT = 3.0
CONVERSATION_WEIGHT = 1.0
MESSAGE_WEIGHT = 0.1


def day_weight(day: date) -> float:
    return 2.0 ** ((day - EPOCH).days / HALF_LIFE_DAYS)


def activity_points(*, new_users: int, new_conversations: int, messages: int) -> float:
    return USER_WEIGHT * new_users + CONVERSATION_WEIGHT * new_conversations + MESSAGE_WEIGHT * messages


def add_activity(session: Session, gpt_id: str, *, day: date, new_users: int, new_conversations: int, messages: int) -> None:
    """Count a slice of activity (from the daily usage rollup) towards the GPT's store listing.

    Atomic increments in SQL: concurrent replies on several workers never lose a count.
    """
    points = activity_points(new_users=new_users, new_conversations=new_conversations, messages=messages)
    row = session.execute(
        update(Listing)
        .where(Listing.gpt_id == gpt_id)
        .values(trending=Listing.trending + points * day_weight(day), conversations=Listing.conversations + new_conversations)
        .returning(Listing.id, Listing.conversations, Listing.search_key)
    ).first()
    if row is None:
        return  # not in the store: its usage does not trend
    listing_id, conversations, key = row
    if ranking.search_key(listing_id, conversations) != key:
        listing = session.get(Listing, listing_id)
        session.refresh(listing)
        listings.set_usage(session, listing, conversations=conversations)


def decayed(stored: float, today: date) -> float:
    """The score as of `today` (for display and tests); ordering never needs it."""
    return stored / day_weight(today)
