"""Trending: recent activity with exponential decay, maintained incrementally.

Each day's activity counts with weight 2^((day - EPOCH) / HALF_LIFE_DAYS). Multiplying every
GPT's score by the same factor never changes their order, so instead of decaying all
scores every day, new activity is added with an ever larger weight: the stored number,
read at any time, ranks GPTs exactly as the decayed score would. No request or job ever
scans all usage. See docs/ranking.md.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text, update
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


def add_points(session: Session, points: dict[str, float]) -> None:
    """Add already day-weighted points to many listings' scores in one statement (batch ingestion).

    Only the score: activity that adds no conversations leaves the search key alone.
    """
    if not points:
        return
    table = Listing.__table__.name
    if session.get_bind().dialect.name == "postgresql":
        # The listings are locked in id order first (the sub-select's FOR UPDATE runs after its
        # ORDER BY), so concurrent batches touching the same listings wait, never deadlock.
        session.execute(text(f"""
            UPDATE {table} AS l SET trending = l.trending + v.points
            FROM (SELECT l2.id, v.points FROM unnest(CAST(:gpt_ids AS text[]), CAST(:points AS float8[])) AS v (gpt_id, points)
                  JOIN {table} AS l2 ON l2.gpt_id = v.gpt_id ORDER BY l2.id FOR UPDATE OF l2) AS v
            WHERE l.id = v.id"""), {"gpt_ids": list(points), "points": list(points.values())})
        return
    # SQLite has one writer at a time: no lock order to keep. Bound values keep the floats exact;
    # chunks stay under SQLite's limit on parameters.
    items = list(points.items())
    for first in range(0, len(items), _SQLITE_PAIRS):
        chunk = items[first:first + _SQLITE_PAIRS]
        session.execute(
            text(f"""UPDATE {table} SET trending = trending + v.column2
                     FROM (VALUES {', '.join(f'(:g{n}, :p{n})' for n in range(len(chunk)))}) AS v
                     WHERE {table}.gpt_id = v.column1"""),
            {k: v for n, (g, p) in enumerate(chunk) for k, v in ((f"g{n}", g), (f"p{n}", p))})


_SQLITE_PAIRS = 10_000
