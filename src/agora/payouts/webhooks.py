"""Stripe's word on a payout's transfer after it was made: `transfer.reversed` (or `transfer.failed`) returns the money.

Registered with the billing webhook (agora.billing.stripe_webhooks) when the application
loads. A transfer no payout made is refused (404, `unknown_transfer`) and nothing is stored,
not even the event's id: it is an error to look at, not something to acknowledge.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from agora.billing import stripe_events, stripe_webhooks
from agora.config import Settings
from agora.payouts import transfers


def _returned(session: Session, obj: dict, *, when: datetime, key: str, settings: Settings) -> str:
    found = stripe_events.parse(stripe_events.TransferObject, obj, at="data.object")
    payout = transfers.failed_transfer(session, found.id, f"Stripe reported the transfer {found.id} reversed or failed")
    return "processed" if payout.status == transfers.FAILED else "ignored"


stripe_webhooks.register("transfer.reversed", _returned)
stripe_webhooks.register("transfer.failed", _returned)
