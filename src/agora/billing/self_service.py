"""A subscriber choosing, changing or cancelling the plan of the workspace they work in.

The pricing page and the JSON API both come here. Owners and admins of a workspace manage
its plan. With the offline gateway a subscription starts at once and its invoice waits for
an admin; with Stripe a new subscription starts at Checkout (its webhook starts it here),
and a live Stripe subscription is changed in the Customer Portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TypeGuard

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import Membership, User, Workspace
from agora.accounts.service import personal_workspace_id
from agora.billing import idempotency, lifecycle, serial
from agora.billing.gateways import gateway_for
from agora.billing.models import Subscription
from agora.billing.subscriptions import subscription_of
from agora.config import Settings
from agora.db import utcnow
from agora.errors import Forbidden, NotFound
from agora.i18n import gettext as _
from agora.workspaces.service import active_workspace_id

MANAGERS = ("owner", "admin")


@dataclass(frozen=True)
class Choice:
    """What choosing a plan did: a subscription started or changed here, or a page of the gateway to go to."""

    subscription: dict | None = None  # state(): the subscription as the change left it
    invoice: str | None = None  # the number of the invoice the change issued
    checkout_url: str | None = None
    portal_url: str | None = None


def state(subscription: Subscription) -> dict:
    """A subscription as the API shows it, in JSON types: what a retried request is answered."""
    end = subscription.current_period_end
    return {
        "workspace_id": subscription.workspace_id, "plan": subscription.plan_code, "status": subscription.status,
        "seats": subscription.seats, "interval": subscription.interval, "current_period_end": end.isoformat() if end else None,
        "cancel_at_period_end": subscription.cancel_at_period_end, "pay_by": subscription.pay_by.isoformat() if subscription.pay_by else None,
    }


def workspace_of(session: Session, user: User) -> tuple[Workspace, str]:
    """The workspace the user works in, and their role in it."""
    workspace_id = active_workspace_id(session, user) or personal_workspace_id(session, user)
    role = session.scalar(select(Membership.role).where(Membership.workspace_id == workspace_id, Membership.user_id == user.id))
    return session.get_one(Workspace, workspace_id), role or "member"


def managed_workspace(session: Session, user: User) -> Workspace:
    workspace, role = workspace_of(session, user)
    if role not in MANAGERS:
        raise Forbidden(_("Only the owner and admins of this workspace manage its plan."))
    return workspace


def is_live(subscription: Subscription | None) -> TypeGuard[Subscription]:
    """Billed and running (an operator-set plan has no period end, and gives way to a billed one)."""
    return subscription is not None and subscription.status not in lifecycle.ENDED and subscription.current_period_end is not None


def choose(session: Session, user: User, settings: Settings, *, plan: str, seats: int, interval: str, key: str | None,
           return_url: str, cancel_url: str) -> Choice:
    """Start a subscription for the user's workspace, or change its plan or seats (prorated).

    One change at a time per workspace (billing.serial); a change to what the workspace already
    has bills nothing; a request with a key already answered gets that answer again.
    """
    serial.begin(session)
    gateway = gateway_for(settings)
    workspace = managed_workspace(session, user)
    serial.hold(session, workspace.id)
    existing = subscription_of(session, workspace.id)
    live = existing if is_live(existing) else None
    if live is not None and live.gateway == "stripe":
        return Choice(portal_url=gateway.portal_url(live, return_url=return_url))
    if not gateway.starts_locally and live is None:
        lifecycle.check_start(session, workspace=workspace, plan_code=plan, seats=seats, interval=interval)
        return Choice(checkout_url=gateway.checkout_url(workspace_id=workspace.id, plan_code=plan, seats=seats, interval=interval,
                                                        success_url=return_url, cancel_url=cancel_url))
    if key is not None:
        asked = {"workspace": workspace.id, "plan": plan, "seats": seats, "interval": interval}
        if (first := idempotency.claim(session, user_id=user.id, key=key, asked=asked)) is not None:
            return Choice(subscription=first["subscription"], invoice=first["invoice"])
    if live is not None:
        invoice = lifecycle.change(session, live, plan_code=plan, seats=seats, now=utcnow())
        subscription = live
    else:
        # Offline, the first invoice waits for an admin: the plan is active meanwhile, for a grace period.
        subscription, invoice = lifecycle.start(session, workspace=workspace, plan_code=plan, seats=seats, interval=interval,
                                                now=utcnow(), gateway=gateway.name, pay_within=timedelta(days=settings.billing_grace_days))
    choice = Choice(subscription=state(subscription), invoice=invoice.number if invoice else None)
    if key is not None:
        idempotency.answer(session, user_id=user.id, key=key, result={"subscription": choice.subscription, "invoice": choice.invoice})
    return choice


def cancel(session: Session, user: User, *, at_period_end: bool) -> Subscription:
    """Cancel at the end of the period (or now); cancelling what is already cancelled changes nothing."""
    serial.begin(session)
    workspace = managed_workspace(session, user)
    serial.hold(session, workspace.id)
    subscription = subscription_of(session, workspace.id)
    if subscription is None:
        raise NotFound(_("This workspace has no subscription."))
    lifecycle.cancel(session, subscription, now=utcnow(), at_period_end=at_period_end)
    return subscription


def portal_url(session: Session, user: User, settings: Settings, *, return_url: str) -> str:
    """Stripe's Customer Portal for the workspace's live Stripe subscription (payment method, plan, invoices)."""
    workspace = managed_workspace(session, user)
    subscription = subscription_of(session, workspace.id)
    url = gateway_for(settings).portal_url(subscription, return_url=return_url) if is_live(subscription) and subscription.gateway == "stripe" else None
    if url is None:
        raise NotFound(_("This workspace is not billed through Stripe, so there is no payment portal; its invoices are listed on this page."))
    return url
