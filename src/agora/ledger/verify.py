"""`agora ledger verify`: every entry balances and every balance is the sum of its legs.

Read by the database in aggregate (GROUP BY, streamed), so memory does not grow with the
ledger: a wrong row can only be an entry, a leg or an account named in what it returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agora.ledger.models import LedgerAccount, LedgerEntry, LedgerLeg


@dataclass(frozen=True, slots=True)
class Discrepancy:
    what: str  # "entry" or "account"
    id: int
    message: str

    def __str__(self) -> str:
        return f"{self.what} {self.id}: {self.message}"


def discrepancies(session: Session) -> Iterator[Discrepancy]:
    """What is wrong, entries first (in id order), then accounts; nothing when all is well."""
    legs = (select(LedgerEntry.id, func.count(LedgerLeg.id), func.coalesce(func.sum(LedgerLeg.amount), 0))
            .outerjoin(LedgerLeg, LedgerLeg.entry_id == LedgerEntry.id).group_by(LedgerEntry.id)
            .having((func.count(LedgerLeg.id) < 2) | (func.coalesce(func.sum(LedgerLeg.amount), 0) != 0)).order_by(LedgerEntry.id))
    for entry_id, count, total in session.execute(legs):
        yield Discrepancy("entry", entry_id, f"its {count} legs sum to {total}, not 0" if count >= 2 else f"it has {count} leg(s); an entry has 2 or more")
    currencies = (select(LedgerLeg.entry_id, LedgerAccount.code, LedgerEntry.currency)
                  .join(LedgerAccount, LedgerAccount.id == LedgerLeg.account_id).join(LedgerEntry, LedgerEntry.id == LedgerLeg.entry_id)
                  .where(LedgerAccount.currency != LedgerEntry.currency).order_by(LedgerLeg.entry_id))
    for entry_id, code, currency in session.execute(currencies):
        yield Discrepancy("entry", entry_id, f"a leg on {code} is not in the entry's currency {currency}")
    summed = func.coalesce(func.sum(LedgerLeg.amount), 0)
    balances = (select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.balance, summed)
                .outerjoin(LedgerLeg, LedgerLeg.account_id == LedgerAccount.id).group_by(LedgerAccount.id)
                .having(LedgerAccount.balance != summed).order_by(LedgerAccount.id))
    for account_id, code, balance, total in session.execute(balances):
        yield Discrepancy("account", account_id, f"{code} says {balance} but its legs sum to {total}")
