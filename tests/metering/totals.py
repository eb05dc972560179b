"""The daily and monthly rollups recomputed from scratch: the oracle the incremental counts are checked against.

The events are the truth and the rollups are derived, so what agora.metering.batch and
agora.metering.rollups add up as events arrive must equal these totals. The tests check it
on small batches, bench/metering.py at scale; nothing in the product reads them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from agora.metering.models import DailyGptUserUsage, UsageRecord


def daily_totals_query(session: Session, start: datetime, end: datetime):
    """Per UTC day and GPT, straight from the events: messages, distinct users, tokens."""
    # The UTC day on both databases (PostgreSQL would otherwise use the session's time zone).
    postgres = session.get_bind().dialect.name == "postgresql"
    day = cast(func.timezone("UTC", UsageRecord.created_at), Date) if postgres else func.date(UsageRecord.created_at)
    return (
        select(day.label("day"), UsageRecord.gpt_id, func.count().label("messages"), func.count(UsageRecord.user_id.distinct()).label("users"),
               func.sum(UsageRecord.prompt_tokens).label("prompt_tokens"), func.sum(UsageRecord.completion_tokens).label("completion_tokens"))
        .where(UsageRecord.created_at >= start, UsageRecord.created_at < end, UsageRecord.gpt_id.is_not(None))
        .group_by(day, UsageRecord.gpt_id)
    )


def daily_totals(session: Session, start: datetime, end: datetime):
    return session.execute(daily_totals_query(session, start, end)).all()


def monthly_totals_query(first_day: date, next_month: date):
    """Per GPT and user for a month, from the daily rollup (what payouts read)."""
    return (
        select(DailyGptUserUsage.gpt_id, DailyGptUserUsage.user_id, func.sum(DailyGptUserUsage.messages).label("messages"),
               func.sum(DailyGptUserUsage.prompt_tokens + DailyGptUserUsage.completion_tokens).label("tokens"))
        .where(DailyGptUserUsage.day >= first_day, DailyGptUserUsage.day < next_month)
        .group_by(DailyGptUserUsage.gpt_id, DailyGptUserUsage.user_id)
    )


def monthly_totals(session: Session, first_day: date, next_month: date):
    return session.execute(monthly_totals_query(first_day, next_month)).all()
