"""Subscribing from the JSON API: start, change or cancel the active workspace's plan; invoices.

Owners and admins of a workspace manage its subscription; an admin of Agora marks
offline invoices paid.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from agora.accounts.models import Membership, User, Workspace
from agora.accounts.service import personal_workspace_id
from agora.billing import invoices, lifecycle
from agora.billing.gateways import gateway_for
from agora.billing.models import Invoice, Subscription
from agora.db import utcnow
from agora.errors import Forbidden, NotFound
from agora.i18n import gettext as _
from agora.web.deps import AppSettings, CurrentUser, Db
from agora.workspaces.service import active_workspace_id

router = APIRouter(prefix="/api", tags=["billing"])


class SubscribeIn(BaseModel):
    plan: str
    seats: int = Field(1, ge=1, le=10_000, strict=True)
    interval: Literal["month", "year"] = "month"


class SubscriptionOut(BaseModel):
    workspace_id: int
    plan: str
    status: str
    seats: int
    interval: str
    current_period_end: str | None
    cancel_at_period_end: bool
    invoice: str | None = None


class CheckoutOut(BaseModel):
    """Pay or manage at the gateway; the subscription changes when its webhook arrives."""

    checkout_url: str | None = None
    portal_url: str | None = None


def _managed_workspace(session, user: User) -> Workspace:
    workspace_id = active_workspace_id(session, user) or personal_workspace_id(session, user)
    role = session.scalar(select(Membership.role).where(Membership.workspace_id == workspace_id, Membership.user_id == user.id))
    if role not in ("owner", "admin"):
        raise Forbidden(_("Only the owner and admins of this workspace manage its plan."))
    return session.get(Workspace, workspace_id)


def _out(subscription: Subscription, invoice: Invoice | None = None) -> SubscriptionOut:
    end = subscription.current_period_end
    return SubscriptionOut(
        workspace_id=subscription.workspace_id, plan=subscription.plan_code, status=subscription.status, seats=subscription.seats,
        interval=subscription.interval, current_period_end=end.isoformat() if end else None, cancel_at_period_end=subscription.cancel_at_period_end,
        invoice=invoice.number if invoice else None,
    )


@router.post("/subscription", response_model=SubscriptionOut | CheckoutOut)
def subscribe(body: SubscribeIn, request: Request, user: CurrentUser, db: Db, settings: AppSettings):
    """Start a subscription for the workspace you work in, or change its plan or seats (prorated).

    With the `stripe` gateway a new subscription starts at Stripe Checkout (answer: `checkout_url`),
    and changes to a Stripe subscription are made in the Customer Portal (`portal_url`).
    """
    gateway = gateway_for(settings)
    with db.session() as session:
        workspace = _managed_workspace(session, user)
        existing = session.scalar(select(Subscription).where(Subscription.workspace_id == workspace.id))
        live = existing is not None and existing.status not in lifecycle.ENDED and existing.current_period_end is not None
        if existing is not None and existing.gateway == "stripe" and live:
            return CheckoutOut(portal_url=gateway.portal_url(existing, return_url=str(request.url_for("usage_page"))))
        if not gateway.starts_locally and not live:
            lifecycle.check_start(session, workspace=workspace, plan_code=body.plan, seats=body.seats, interval=body.interval)
            return CheckoutOut(checkout_url=gateway.checkout_url(
                workspace_id=workspace.id, plan_code=body.plan, seats=body.seats, interval=body.interval,
                success_url=str(request.url_for("usage_page")), cancel_url=str(request.url_for("pricing")),
            ))
        key = request.headers.get("Idempotency-Key")
        if live:
            invoice = lifecycle.change(session, existing, plan_code=body.plan, seats=body.seats, now=utcnow(), key=key)
            return _out(existing, invoice)
        subscription, invoice = lifecycle.start(session, workspace=workspace, plan_code=body.plan, seats=body.seats,
                                                interval=body.interval, now=utcnow(), gateway=gateway.name, key=key)
        return _out(subscription, invoice)


@router.post("/subscription/cancel", response_model=SubscriptionOut)
def cancel(user: CurrentUser, db: Db, at_period_end: bool = True):
    with db.session() as session:
        workspace = _managed_workspace(session, user)
        subscription = session.scalar(select(Subscription).where(Subscription.workspace_id == workspace.id))
        if subscription is None:
            raise NotFound(_("This workspace has no subscription."))
        lifecycle.cancel(session, subscription, now=utcnow(), at_period_end=at_period_end)
        return _out(subscription)


@router.post("/admin/invoices/{number}/paid")
def mark_paid(number: str, user: CurrentUser, db: Db) -> dict:
    """Admins: record an offline payment (a transfer arrived). Marking it twice changes nothing."""
    if not user.is_admin:
        raise Forbidden(_("Only admins can mark invoices paid."))
    with db.session() as session:
        invoice = invoices.by_number(session, number)
        changed = lifecycle.invoice_paid(session, invoice, now=utcnow())
        return {"number": invoice.number, "status": invoice.status, "changed": changed}
