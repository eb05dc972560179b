"""A payment that arrived outside Agora (a bank transfer): an admin marks the offline invoice paid."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from agora.billing import invoices, lifecycle, serial
from agora.billing.models import Invoice


def mark_paid(session: Session, *, number: str, now: datetime) -> tuple[Invoice, bool]:
    """The invoice, and whether this marked it paid (False when it already was: two admins, a double click)."""
    serial.begin(session)
    invoice = invoices.by_number(session, number)
    serial.hold(session, invoice.workspace_id)
    session.refresh(invoice)  # as the last change of its workspace left it
    return invoice, lifecycle.invoice_paid(session, invoice, now=now)
