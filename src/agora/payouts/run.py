"""Running a month: its revenue pool computed, recorded and moved in the ledger, once.

In one transaction per month: a run killed midway leaves nothing, a second run (or two at
once) finds the month recorded and changes nothing, and the ledger's idempotency keys
(`pool:2026-11:USD:funding`, `...:allocation`) guard the money a second time.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.config import Settings
from agora.db import begin_writing, insert_for, utcnow
from agora.errors import InvalidInput
from agora.ledger import service as ledger
from agora.metering.export import month_bounds
from agora.payouts import engagement as reading
from agora.payouts.models import PoolMonth, PoolShare
from agora.payouts.pool import Engagement, Part, Rules, allocate, eligible, pool_of


@dataclass(frozen=True, slots=True)
class MonthResult:
    month: str
    currency: str
    net_revenue: int  # millis
    pool: int
    allocated: int
    units: int
    parts: list[Part]
    already_run: bool  # recorded by an earlier run: nothing was written now


def rules_from(settings: Settings) -> Rules:
    return Rules(share_percent=settings.pool_share_percent, min_users=settings.pool_min_users, min_units=settings.pool_min_units,
                 user_days_cap=settings.pool_user_days_cap, verified_builders_only=settings.pool_verified_builders_only)


def check_month(month: str, *, now: datetime, dry_run: bool) -> tuple[datetime, datetime]:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month or ""):
        raise InvalidInput(f"The month is YYYY-MM, e.g. 2026-11, not {month!r}.", field="month")
    start, end = month_bounds(month)
    if end > now and not dry_run:
        raise InvalidInput(f"{month} is not over: run it from {end:%Y-%m-%d} (UTC), or look at it with --dry-run.", field="month")
    return start, end


def run_month(session: Session, month: str, rules: Rules, *, dry_run: bool = False, now: datetime | None = None) -> list[MonthResult]:
    """The month's pool in each currency revenue came in; written unless dry_run."""
    start, end = check_month(month, now=now or utcnow(), dry_run=dry_run)
    begin_writing(session)  # SQLite: the writer from the first read, so a concurrent run waits and then finds the month done
    revenue = reading.net_revenue(session, start, end)
    if not revenue:
        return []
    # Only eligible GPTs are kept: memory grows with the GPTs that share the pool, not with the store.
    engagements = [e for e in reading.engagement(session, start, end, user_days_cap=rules.user_days_cap) if eligible(e, rules)]
    results = []
    for currency in sorted(revenue):
        recorded = session.get(PoolMonth, (month, currency))
        if recorded is not None:
            results.append(_as_recorded(session, recorded))
            continue
        net = ledger.to_millis(revenue[currency])
        pool = pool_of(net, rules.share_percent)
        parts = allocate(pool, engagements, rules)
        allocated = sum(part.amount for part in parts) if parts else 0
        result = MonthResult(month, currency, net, pool, allocated, sum(p.engagement.units for p in parts), parts, already_run=False)
        if not dry_run and not _record(session, result, rules):
            result = _as_recorded(session, session.get(PoolMonth, (month, currency)))
        results.append(result)
    return results


def _record(session: Session, result: MonthResult, rules: Rules) -> bool:
    """False when another run recorded the month first (its answer stands)."""
    inserted = session.execute(insert_for(session)(PoolMonth).values(
        month=result.month, currency=result.currency, net_revenue=result.net_revenue, share_percent=rules.share_percent, pool=result.pool,
        allocated=result.allocated, units=result.units, eligible_gpts=len(result.parts), created_at=utcnow(),
    ).on_conflict_do_nothing().returning(PoolMonth.month)).first()
    if inserted is None:
        return False
    if result.parts:
        session.add_all([PoolShare(month=result.month, currency=result.currency, gpt_id=p.engagement.gpt_id, builder_id=p.engagement.builder_id,
                                   users=p.engagement.users, units=p.engagement.units, amount=p.amount) for p in result.parts])
        session.flush()
    if result.allocated:
        _move_money(session, result)
    return True


def _move_money(session: Session, result: MonthResult) -> None:
    currency, key = result.currency, f"pool:{result.month}:{result.currency}"
    pool = ledger.account(session, ledger.REVENUE_POOL, currency)
    ledger.post(session, kind="pool_funding", key=f"{key}:funding", currency=currency,
                legs=[(ledger.account(session, ledger.PLATFORM_REVENUE, currency), -result.allocated), (pool, result.allocated)],
                memo=f"{result.month}: {len(result.parts)} GPTs share the revenue pool", occurred_at=month_bounds(result.month)[1])
    by_builder: dict[int, int] = defaultdict(int)
    for part in result.parts:
        by_builder[part.engagement.builder_id] += part.amount
    legs = [(ledger.account(session, ledger.BUILDER, currency, owner_id=builder), amount)
            for builder, amount in sorted(by_builder.items()) if amount]
    ledger.post(session, kind="pool_allocation", key=f"{key}:allocation", currency=currency, legs=[(pool, -result.allocated), *legs],
                memo=f"{result.month}: the revenue pool to {len(legs)} builders", occurred_at=month_bounds(result.month)[1])


def _as_recorded(session: Session, recorded: PoolMonth | None) -> MonthResult:
    assert recorded is not None
    shares = session.scalars(select(PoolShare).where(PoolShare.month == recorded.month, PoolShare.currency == recorded.currency)
                             .order_by(PoolShare.gpt_id))
    # builder_verified: the rules held when the month was recorded (every share was eligible then)
    parts = [Part(Engagement(s.gpt_id, s.builder_id, s.users, s.units, builder_verified=True), s.amount) for s in shares]
    return MonthResult(recorded.month, recorded.currency, recorded.net_revenue, recorded.pool, recorded.allocated, recorded.units, parts,
                       already_run=True)
