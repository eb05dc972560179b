"""Batch ingestion of usage events (imports, the /v1 batch path, the benchmark) and rollup rebuilds.

`ingest` inserts a batch in one statement with ON CONFLICT DO NOTHING on the idempotency
key, then adds only the events that were new to the daily rollups, aggregated first so
each rollup row is touched once per batch. Replaying a batch changes nothing. Batched
events carry no conversation, so they add messages, users and tokens, not conversations.
`rebuild_daily` recomputes the rollups from the events (after a restore, or to audit
the incremental counts): the events are the truth, rollups are derived.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from sqlalchemy import Date, bindparam, cast, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from agora.metering.models import DailyGptUsage, DailyGptUserUsage, UsageRecord
from agora.store import trending
from agora.store.models import Listing


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def ingest(session: Session, events: list[dict]) -> int:
    """Insert usage events (UsageRecord columns, `created_at` aware); returns how many were new."""
    if not events:
        return 0
    rows = session.execute(
        _insert(session)(UsageRecord.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(UsageRecord.gpt_id, UsageRecord.user_id, UsageRecord.created_at, UsageRecord.prompt_tokens, UsageRecord.completion_tokens),
        events,
    ).all()
    per_user: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for gpt_id, user_id, created_at, prompt, completion in rows:
        if gpt_id is None:
            continue
        totals = per_user[(created_at.astimezone(UTC).date(), gpt_id, user_id)]
        totals[0] += 1
        totals[1] += prompt
        totals[2] += completion
    _add_rollups(session, per_user)
    return len(rows)


def _add_rollups(session: Session, per_user: dict[tuple, list[int]]) -> None:
    """Set-based: one multi-row INSERT ... ON CONFLICT DO UPDATE per table, whatever the batch size."""
    if not per_user:
        return
    insert = _insert(session)
    created = {tuple(r) for r in session.execute(
        insert(DailyGptUserUsage.__table__).on_conflict_do_nothing().returning(DailyGptUserUsage.day, DailyGptUserUsage.gpt_id, DailyGptUserUsage.user_id),
        [{"day": d, "gpt_id": g, "user_id": u, "conversations": 0, "messages": 0, "prompt_tokens": 0, "completion_tokens": 0} for d, g, u in per_user],
    )}
    _add(session, DailyGptUserUsage, ["day", "gpt_id", "user_id"], ["messages", "prompt_tokens", "completion_tokens"],
         [{"day": d, "gpt_id": g, "user_id": u, "conversations": 0, "messages": m, "prompt_tokens": p, "completion_tokens": c}
          for (d, g, u), (m, p, c) in per_user.items()])
    per_gpt: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (day, gpt_id, user_id), (messages, prompt, completion) in per_user.items():
        totals = per_gpt[(day, gpt_id)]
        totals[0] += messages
        totals[1] += 1 if (day, gpt_id, user_id) in created else 0
        totals[2] += prompt
        totals[3] += completion
    _add(session, DailyGptUsage, ["day", "gpt_id"], ["messages", "users", "prompt_tokens", "completion_tokens"],
         [{"day": d, "gpt_id": g, "conversations": 0, "messages": m, "users": u, "prompt_tokens": p, "completion_tokens": c}
          for (d, g), (m, u, p, c) in per_gpt.items()])
    _trend(session, per_gpt)


def _trend(session: Session, per_gpt: dict[tuple, list[int]]) -> None:
    """trending.add_activity for a whole batch in one executemany UPDATE.

    Batched events add no conversations, so a listing's conversation count (and with it the
    search key add_activity maintains) cannot change: only the trending score moves, by the
    same points and day weight add_activity would add.
    """
    points: dict[str, float] = defaultdict(float)
    for (day, gpt_id), (messages, users, _p, _c) in per_gpt.items():
        points[gpt_id] += trending.activity_points(new_users=users, new_conversations=0, messages=messages) * trending.day_weight(day)
    listings = Listing.__table__
    session.execute(
        update(listings).where(listings.c.gpt_id == bindparam("g")).values(trending=listings.c.trending + bindparam("p")),
        [{"g": gpt_id, "p": p} for gpt_id, p in points.items()],
    )


def _add(session: Session, table, keys: list[str], counters: list[str], rows: list[dict]) -> None:
    """Add `counters` of each row to the stored row with the same `keys` (creating it if missing)."""
    columns = table.__table__.c
    statement = _insert(session)(table.__table__)
    statement = statement.on_conflict_do_update(index_elements=keys, set_={c: columns[c] + statement.excluded[c] for c in counters})
    session.execute(statement, rows)


def daily_totals(session: Session, start: datetime, end: datetime):
    """Per UTC day and GPT, straight from the events: messages, distinct users, tokens."""
    # The UTC day on both databases (PostgreSQL would otherwise use the session's time zone).
    postgres = session.get_bind().dialect.name == "postgresql"
    day = cast(func.timezone("UTC", UsageRecord.created_at), Date) if postgres else func.date(UsageRecord.created_at)
    return session.execute(
        select(day, UsageRecord.gpt_id, func.count(), func.count(UsageRecord.user_id.distinct()),
               func.sum(UsageRecord.prompt_tokens), func.sum(UsageRecord.completion_tokens))
        .where(UsageRecord.created_at >= start, UsageRecord.created_at < end, UsageRecord.gpt_id.is_not(None))
        .group_by(day, UsageRecord.gpt_id)
    ).all()


def monthly_totals(session: Session, first_day: date, next_month: date):
    """Per GPT and user for a month, from the daily rollup (what payouts read)."""
    return session.execute(
        select(DailyGptUserUsage.gpt_id, DailyGptUserUsage.user_id, func.sum(DailyGptUserUsage.messages),
               func.sum(DailyGptUserUsage.prompt_tokens + DailyGptUserUsage.completion_tokens))
        .where(DailyGptUserUsage.day >= first_day, DailyGptUserUsage.day < next_month)
        .group_by(DailyGptUserUsage.gpt_id, DailyGptUserUsage.user_id)
    ).all()


def clear_rollups(session: Session, first_day: date, next_month: date) -> None:
    session.execute(delete(DailyGptUserUsage).where(DailyGptUserUsage.day >= first_day, DailyGptUserUsage.day < next_month))
    session.execute(delete(DailyGptUsage).where(DailyGptUsage.day >= first_day, DailyGptUsage.day < next_month))
