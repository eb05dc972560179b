"""Trending: recent activity with exponential decay, maintained incrementally, on a log scale.

Each day's activity counts with weight 2^((day - EPOCH) / HALF_LIFE_DAYS). Multiplying every
GPT's score by the same factor never changes their order, so instead of decaying all
scores every day, new activity is added with an ever larger weight: the stored number,
read at any time, ranks GPTs exactly as the decayed score would. No request or job ever
scans all usage. See docs/ranking.md.

Those weights grow by 2^(1/3) a day: a double would overflow eight and a half years after
the epoch (the linear scores raised OverflowError from 2034-05-31). So the listing stores
the score's base-2 logarithm, `log2(1 + sum of points x weight)`, which grows by a third a
day and ranks exactly as the score does (0 is no activity). Adding a day's points is
`log2(2^stored + 2^(log2(points) + exponent))`, computed without leaving the log scale by
the SQL function `agora_log2_add` (migration 0018 on PostgreSQL, agora.db on SQLite).
Moving the epoch instead (a "rebase": every score divided by the same power of two) was
measured and rejected: an UPDATE of every listing with a score, 61 s for 300,000 GPTs on
PostgreSQL (each row's search indexes rewritten) and 6.5 s on SQLite, while every reply's
trending write waited (docs/ranking.md).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, text, update
from sqlalchemy.orm import Session

from agora import events
from agora.store import listings, ranking
from agora.store.models import Listing

EPOCH = date(2026, 1, 1)
HALF_LIFE_DAYS = 3.0
# What one unit of each kind of activity is worth.
USER_WEIGHT = 3.0
CONVERSATION_WEIGHT = 1.0
MESSAGE_WEIGHT = 0.1


def exponent(day: date) -> float:
    """log2 of the day's weight."""
    return (day - EPOCH).days / HALF_LIFE_DAYS


def activity_points(*, new_users: int, new_conversations: int, messages: int) -> float:
    return USER_WEIGHT * new_users + CONVERSATION_WEIGHT * new_conversations + MESSAGE_WEIGHT * messages


def weighted(points: float, day: date) -> float:
    """log2(points x the day's weight): what a day's activity adds, on the stored scale."""
    return math.log2(points) + exponent(day) if points > 0 else -math.inf


def total(weights: Iterable[float]) -> float:
    """log2 of the sum of 2^w for each w: several weighted activities as one, on the log scale."""
    weights = [w for w in weights if w != -math.inf]
    if not weights:
        return -math.inf
    top = max(weights)
    return top + math.log2(math.fsum(2.0 ** (w - top) for w in weights))


def add_activity(session: Session, gpt_id: str, *, day: date, new_users: int, new_conversations: int, messages: int) -> None:
    """Count a slice of activity (from the daily usage rollup) towards the GPT's store listing.

    Atomic increments in SQL: concurrent replies on several workers never lose a count.
    """
    added = weighted(activity_points(new_users=new_users, new_conversations=new_conversations, messages=messages), day)
    values = {"conversations": Listing.conversations + new_conversations}
    if added != -math.inf:
        values["trending"] = func.agora_log2_add(Listing.trending, added)
    row = session.execute(
        update(Listing).where(Listing.gpt_id == gpt_id).values(**values).returning(Listing.id, Listing.conversations, Listing.search_key)
    ).first()
    if row is None:
        return  # not in the store: its usage does not trend
    listing_id, conversations, key = row
    if ranking.search_key(listing_id, conversations) != key:
        listing = session.get_one(Listing, listing_id)
        session.refresh(listing)
        listings.set_usage(session, listing, conversations=conversations)


def add_points(session: Session, weights: dict[str, float]) -> None:
    """Add `weighted` activity (one `total` per GPT) to many listings' scores in one
    statement (batch ingestion).

    Only the score: activity that adds no conversations leaves the search key alone.
    """
    weights = {gpt_id: w for gpt_id, w in weights.items() if w != -math.inf}
    if not weights:
        return
    table = Listing.__tablename__
    if session.get_bind().dialect.name == "postgresql":
        # The listings are locked in id order first (the sub-select's FOR UPDATE runs after its
        # ORDER BY), so concurrent batches touching the same listings wait, never deadlock.
        session.execute(text(f"""
            UPDATE {table} AS l SET trending = agora_log2_add(l.trending, v.added)
            FROM (SELECT l2.id, v.added FROM unnest(CAST(:gpt_ids AS text[]), CAST(:added AS float8[])) AS v (gpt_id, added)
                  JOIN {table} AS l2 ON l2.gpt_id = v.gpt_id ORDER BY l2.id FOR UPDATE OF l2) AS v
            WHERE l.id = v.id"""), {"gpt_ids": list(weights), "added": list(weights.values())})
        return
    # SQLite has one writer at a time: no lock order to keep. Bound values keep the floats exact;
    # chunks stay under SQLite's limit on parameters.
    items = list(weights.items())
    for first in range(0, len(items), _SQLITE_PAIRS):
        chunk = items[first:first + _SQLITE_PAIRS]
        session.execute(
            text(f"""UPDATE {table} SET trending = agora_log2_add(trending, v.column2)
                     FROM (VALUES {', '.join(f'(:g{n}, :p{n})' for n in range(len(chunk)))}) AS v
                     WHERE {table}.gpt_id = v.column1"""),
            {k: v for n, (g, p) in enumerate(chunk) for k, v in ((f"g{n}", g), (f"p{n}", p))})


_SQLITE_PAIRS = 10_000


def on_usage_recorded(recorded: events.UsageRecorded) -> None:
    """add_activity for a whole batch of usage: one set-based update of the scores, plus one
    add_activity per GPT whose conversations grew (a listing's conversation count is also its
    search tier, which add_activity keeps in step). Runs in the batch's transaction."""
    session = recorded.session
    weights: dict[str, list[float]] = defaultdict(list)
    for row in recorded.activity:
        if row.conversations:
            add_activity(session, row.gpt_id, day=row.day, new_users=row.users, new_conversations=row.conversations, messages=row.messages)
        else:
            points = activity_points(new_users=row.users, new_conversations=0, messages=row.messages)
            weights[row.gpt_id].append(weighted(points, row.day))
    add_points(session, {gpt_id: total(each) for gpt_id, each in weights.items()})


# Subscribed when the store is loaded (store/__init__.py imports this module), strongly: the
# store's listings must follow every batch of usage written in this process.
events.subscribe(events.UsageRecorded, on_usage_recorded)
