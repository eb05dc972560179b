"""Invoices: issued whole with their numbered lines, then only ever marked paid or void.

Lines are inserted once and never updated (a guard in billing.models refuses it); the total is
the sum of the lines, computed here and nowhere else. Each event that moves money happens in
one function here, once: `issue` (a receivable; the same idempotency key returns the first
invoice), `mark_paid` (a payment; False when it already was) and `void` (the receivable
cancelled). The ledger (issue 19) hooks one entry to each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.billing.models import Invoice, InvoiceLine, Subscription
from agora.db import utcnow
from agora.errors import Conflict, InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.ledger import service as ledger


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_amount: int
    amount: int
    period_start: datetime | None = None
    period_end: datetime | None = None


def issue(session: Session, *, workspace_id: int, subscription_id: int | None, currency: str, reason: str, lines: list[Line],
          idempotency_key: str | None = None) -> Invoice:
    """One invoice with its lines; the same idempotency key returns the invoice issued before."""
    if idempotency_key:
        existing = session.scalar(select(Invoice).where(Invoice.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    if not lines:
        raise InvalidInput(_("An invoice needs at least one line."))
    for line in lines:
        for value in (line.quantity, line.unit_amount, line.amount):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(_("Invoice amounts are whole minor units (cents)."), field="amount")
        if line.quantity < 0:
            raise InvalidInput(_("A quantity cannot be negative."), field="quantity")
    invoice = Invoice(workspace_id=workspace_id, subscription_id=subscription_id, currency=currency, reason=reason,
                      total=sum(line.amount for line in lines), status="open", idempotency_key=idempotency_key)
    session.add(invoice)
    session.flush()
    invoice.number = f"AG-{invoice.id:06d}"
    session.add_all([
        InvoiceLine(invoice_id=invoice.id, position=n, description=line.description[:200], quantity=line.quantity,
                    unit_amount=line.unit_amount, amount=line.amount, period_start=line.period_start, period_end=line.period_end)
        for n, line in enumerate(lines, start=1)
    ])
    session.flush()
    return invoice


def lines_of(session: Session, invoice: Invoice) -> list[InvoiceLine]:
    return list(session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(InvoiceLine.position)))


def pay_by(session: Session, invoice: Invoice) -> datetime | None:
    """The date an open invoice must be paid by: its subscription's grace deadline, when it has one."""
    if invoice.status != "open" or invoice.subscription_id is None:
        return None
    subscription = session.get(Subscription, invoice.subscription_id)
    return subscription.pay_by if subscription is not None else None


def by_number(session: Session, number: str) -> Invoice:
    invoice = session.scalar(select(Invoice).where(Invoice.number == number))
    if invoice is None:
        raise NotFound(_("There is no invoice %(number)s.", number=number))
    return invoice


def void(session: Session, invoice: Invoice) -> None:
    """Nothing is owed on it any more (a plan that ended unpaid); an open invoice only."""
    if invoice.status != "open":
        raise ValueError(f"invoice {invoice.number} is {invoice.status}; only an open invoice is voided")
    invoice.status = "void"


def mark_paid(session: Session, invoice: Invoice, *, external_id: str | None = None) -> bool:
    """Paid once: False when it already was (a duplicate webhook, a double click)."""
    if invoice.status == "paid":
        return False
    if invoice.status == "void":
        raise Conflict(_("Invoice %(number)s was voided; it cannot be paid.", number=invoice.number))
    invoice.status, invoice.paid_at = "paid", utcnow()
    if external_id and not invoice.external_id:
        invoice.external_id = external_id
    if invoice.total > 0:  # a credit note (a negative total) is carried to the next invoice, never paid out
        received = ledger.to_millis(invoice.total)
        ledger.post(session, kind="subscription_paid", key=f"invoice:{invoice.id}:paid", currency=invoice.currency,
                    legs=[(ledger.account(session, ledger.EXTERNAL, invoice.currency), -received),
                          (ledger.account(session, ledger.PLATFORM_REVENUE, invoice.currency), received)],
                    memo=f"invoice {invoice.number} paid", occurred_at=invoice.paid_at)
    return True
