"""Subscribing from the JSON API: start, change or cancel the active workspace's plan (billing.self_service);
an admin of Agora marks offline invoices paid."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from agora.billing import idempotency, payments, plans, self_service
from agora.db import utcnow
from agora.errors import Forbidden
from agora.i18n import gettext as _
from agora.inputs import Text
from agora.web.deps import AppSettings, CurrentUser, Db, public_link
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api", tags=["billing"], route_class=JsonRoute)


class SubscribeIn(BaseModel):
    plan: Text
    seats: int = Field(1, ge=1, le=plans.MAX_SEATS, strict=True)
    interval: Literal["month", "year"] = "month"


class SubscriptionOut(BaseModel):
    workspace_id: int
    plan: str
    status: str
    seats: int
    interval: str
    current_period_end: str | None
    cancel_at_period_end: bool
    # Offline gateway: the first invoice is to be paid by then, the plan active meanwhile; null once paid.
    pay_by: str | None = None
    invoice: str | None = None


class CheckoutOut(BaseModel):
    """Pay or manage at the gateway; the subscription changes when its webhook arrives."""

    checkout_url: str | None = None
    portal_url: str | None = None


@router.post("/subscription", response_model=SubscriptionOut | CheckoutOut)
def subscribe(body: SubscribeIn, request: Request, user: CurrentUser, db: Db, settings: AppSettings):
    """Start a subscription for the workspace you work in, or change its plan or seats (prorated).

    Changes of one workspace are made one at a time; asking for the plan and seats it already has
    bills nothing (`invoice` null). With an `Idempotency-Key` header (1-100 visible ASCII
    characters) a retry gets the first request's answer again; the same key for a different
    request is refused with 422 `idempotency_key_reused`.

    With the `stripe` gateway a new subscription starts at Stripe Checkout (answer: `checkout_url`),
    and changes to a Stripe subscription are made in the Customer Portal (`portal_url`).
    """
    key = idempotency.client_key(request.headers.get("Idempotency-Key"))
    with db.session() as session:
        choice = self_service.choose(
            session, user, settings, plan=body.plan, seats=body.seats, interval=body.interval, key=key,
            return_url=public_link(request, "usage_page"), cancel_url=public_link(request, "pricing"),
        )
    if choice.subscription is None:
        return CheckoutOut(checkout_url=choice.checkout_url, portal_url=choice.portal_url)
    return SubscriptionOut(**choice.subscription, invoice=choice.invoice)


@router.post("/subscription/cancel", response_model=SubscriptionOut)
def cancel(user: CurrentUser, db: Db, at_period_end: bool = True):
    """Cancel at the end of the period (default), or now with `at_period_end=false` (no refund). Twice changes nothing."""
    with db.session() as session:
        return SubscriptionOut(**self_service.state(self_service.cancel(session, user, at_period_end=at_period_end)))


@router.post("/admin/invoices/{number}/paid")
def mark_paid(number: Text, user: CurrentUser, db: Db) -> dict:
    """Admins: record an offline payment (a transfer arrived). Marking it twice changes nothing."""
    if not user.is_admin:
        raise Forbidden(_("Only admins can mark invoices paid."))
    with db.session() as session:
        invoice, changed = payments.mark_paid(session, number=number, now=utcnow())
        return {"number": invoice.number, "status": invoice.status, "changed": changed}
