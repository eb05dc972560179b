"""What a builder earned, month by month and GPT by GPT, and why (the pool, its units, theirs).

Read from what `agora payouts run` recorded (pool_months, pool_shares) and the builder's
ledger balance: the page, the JSON API and (later) statements show the same numbers.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.gpts.models import Gpt
from agora.ledger import service as ledger
from agora.ledger.models import LedgerAccount
from agora.payouts.models import PoolMonth, PoolShare


class GptEarning(BaseModel):
    gpt_id: str
    name: str
    users: int = Field(description="Distinct users who counted for the GPT in the month")
    units: int = Field(description="Its engagement units (conversation-days)")
    pool: int = Field(description="Its share of the revenue pool, in millis")
    total: int = Field(description="All it earned, in millis")


class Earned(BaseModel):
    total: int = Field(description="In millis")
    by_source: dict[str, int] = Field(description="pool (and, once per-message prices exist, messages), in millis")


class MonthEarnings(BaseModel):
    month: str
    currency: str
    pool: int = Field(description="The month's whole revenue pool, in millis")
    pool_units: int = Field(description="Engagement units of every eligible GPT: each GPT earns pool × its units / pool_units")
    engagement: dict[str, int] = Field(description="units: the builder's GPTs' units; users: their users, summed over GPTs")
    earnings: Earned
    by_gpt: list[GptEarning]
    commission: int = Field(0, description="What the platform kept of these earnings (the pool carries none), in millis")
    payouts: list[dict] = Field(default_factory=list, description="Transfers of the balance (none yet: payouts are not built)")


class Balance(BaseModel):
    currency: str
    amount: int = Field(description="In millis: 1,000 to the cent")


class Earnings(BaseModel):
    unit: str = "millis: thousandths of the currency's minor unit (1 cent = 1,000)"
    balances: list[Balance]
    months: list[MonthEarnings]


def of_builder(session: Session, builder_id: int) -> Earnings:
    shares = session.execute(
        select(PoolShare, Gpt.name).join(Gpt, Gpt.id == PoolShare.gpt_id).where(PoolShare.builder_id == builder_id)
        .order_by(PoolShare.month.desc(), PoolShare.currency, PoolShare.amount.desc(), PoolShare.gpt_id)
    ).all()
    grouped: dict[tuple[str, str], list[GptEarning]] = defaultdict(list)
    for share, name in shares:
        grouped[(share.month, share.currency)].append(
            GptEarning(gpt_id=share.gpt_id, name=name, users=share.users, units=share.units, pool=share.amount, total=share.amount))
    months = []
    for (month, currency), gpts in grouped.items():
        recorded = session.get(PoolMonth, (month, currency))
        assert recorded is not None  # a share is written with its month
        total = sum(g.total for g in gpts)
        months.append(MonthEarnings(month=month, currency=currency, pool=recorded.allocated, pool_units=recorded.units,
                                    engagement={"units": sum(g.units for g in gpts), "users": sum(g.users for g in gpts)},
                                    earnings=Earned(total=total, by_source={"pool": total}), by_gpt=gpts))
    balances = session.execute(select(LedgerAccount.currency, LedgerAccount.balance)
                               .where(LedgerAccount.kind == ledger.BUILDER, LedgerAccount.owner_id == builder_id).order_by(LedgerAccount.currency))
    return Earnings(balances=[Balance(currency=c, amount=a) for c, a in balances], months=months)
