"""A month's engagement per GPT, read from the daily per-user rollup and the money it made.

Read in aggregate by the database (two GROUP BYs over usage_daily_gpt_user), streamed: the
rollup holds one row per GPT, user and day, never preview replies (agora.metering.batch), so
the events themselves are never scanned.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from agora.accounts.models import Membership
from agora.billing.models import Invoice
from agora.gpts.models import Gpt
from agora.metering.models import DailyGptUserUsage
from agora.payouts.pool import Engagement
from agora.store.models import BuilderDomain


def engagement(session: Session, start: datetime, end: datetime, *, user_days_cap: int) -> Iterator[Engagement]:
    """Each GPT talked to from start (included) to end (excluded; UTC midnights), by users other than its
    builder and the members of the workspace it belongs to."""
    days = (
        select(DailyGptUserUsage.gpt_id, Gpt.owner_id, DailyGptUserUsage.user_id, func.count().label("days"))
        .join(Gpt, Gpt.id == DailyGptUserUsage.gpt_id)
        .where(DailyGptUserUsage.day >= start.date(), DailyGptUserUsage.day < end.date(), DailyGptUserUsage.messages > 0,
               DailyGptUserUsage.user_id != Gpt.owner_id,
               ~exists().where(Membership.workspace_id == Gpt.workspace_id, Membership.user_id == DailyGptUserUsage.user_id))
        .group_by(DailyGptUserUsage.gpt_id, Gpt.owner_id, DailyGptUserUsage.user_id)
        .subquery()
    )
    capped = case((days.c.days > user_days_cap, user_days_cap), else_=days.c.days)
    verified = exists().where(BuilderDomain.user_id == days.c.owner_id, BuilderDomain.verified_at.is_not(None))
    per_gpt = (select(days.c.gpt_id, days.c.owner_id, func.count(), func.sum(capped), verified)
               .group_by(days.c.gpt_id, days.c.owner_id).order_by(days.c.gpt_id))
    for gpt_id, builder_id, users, units, builder_verified in session.execute(per_gpt.execution_options(yield_per=10_000)):
        yield Engagement(gpt_id=gpt_id, builder_id=builder_id, users=users, units=int(units), builder_verified=bool(builder_verified))


def net_revenue(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Per currency, in whole minor units: the invoices paid in the month. Agora records no
    refunds or processor fees yet; when it does, they come off here (docs/payouts.md)."""
    paid = (select(Invoice.currency, func.sum(Invoice.total))
            .where(Invoice.status == "paid", Invoice.total > 0, Invoice.paid_at >= start, Invoice.paid_at < end)
            .group_by(Invoice.currency))
    return {currency: int(total) for currency, total in session.execute(paid)}
