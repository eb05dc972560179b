"""Credit bought: through Stripe Checkout (its webhook records it) or offline (an operator records a bank transfer).

Each purchase is one ledger entry, `credit_purchase` (the outside world −amount, the user's
credit +amount), keyed by the gateway's reference (`credit:stripe:cs_...`): a webhook
delivered twice, or an operator entering the same transfer again, records it once; the same
reference with another amount is refused as a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.config import Settings
from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.ledger import service as ledger
from agora.ledger.models import LedgerAccount, LedgerEntry, LedgerLeg

MAX_PURCHASE = 100_000_00  # minor units: 100,000.00 in the currency, far above any pack


def packs(settings: Settings) -> list[int]:
    """The amounts (minor units) a user can buy, smallest first."""
    return sorted({int(part) for part in settings.credit_packs.split(",") if part.strip() and int(part) > 0})


def check_pack(amount: object, settings: Settings) -> int:
    offered = packs(settings)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount not in offered:
        raise InvalidInput(_("Choose one of the credit amounts offered: %(amounts)s (minor units).", amounts=", ".join(map(str, offered))),
                           field="amount")
    return amount


def record(session: Session, *, user_id: int, amount: int, currency: str, gateway: str, reference: str,
           when: datetime | None = None) -> ledger.Posted:
    """One credit purchase in the ledger, once per (gateway, reference); `amount` in minor units."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_PURCHASE:
        raise InvalidInput(_("A credit purchase is a whole number of minor units from 1 to %(max)s.", max=MAX_PURCHASE), field="amount")
    reference = reference.strip()
    if not reference or len(reference) > 120 or not reference.isprintable():
        raise InvalidInput(_("A credit purchase needs the payment's reference (1 to 120 printable characters)."), field="reference")
    if session.get(User, user_id) is None:
        raise InvalidInput(_("There is no user %(id)s.", id=user_id), field="user")
    millis = ledger.to_millis(amount)
    return ledger.post(session, kind="credit_purchase", key=f"credit:{gateway}:{reference}", currency=currency,
                       legs=[(ledger.account(session, ledger.EXTERNAL, currency), -millis),
                             (ledger.account(session, ledger.USER_CREDIT, currency, owner_id=user_id), millis)],
                       memo=f"credit bought ({gateway} {reference})"[:200], occurred_at=when)


@dataclass(frozen=True, slots=True)
class Movement:
    at: datetime
    kind: str  # credit_purchase, message_charge, reversal...
    amount: int  # millis, signed: into the credit is positive
    memo: str


def history(session: Session, user_id: int, currency: str, *, limit: int = 50) -> list[Movement]:
    """The latest movements of the user's credit, newest first."""
    rows = session.execute(select(LedgerEntry.occurred_at, LedgerEntry.kind, LedgerLeg.amount, LedgerEntry.memo)
                           .join(LedgerLeg, LedgerLeg.entry_id == LedgerEntry.id).join(LedgerAccount, LedgerAccount.id == LedgerLeg.account_id)
                           .where(LedgerAccount.code == f"{ledger.USER_CREDIT}:{user_id}:{currency}")
                           .order_by(LedgerEntry.id.desc()).limit(limit))
    return [Movement(*row) for row in rows]
