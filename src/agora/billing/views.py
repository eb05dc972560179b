"""What the pricing and usage pages and their JSON twins show; no HTTP here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.numbers import format_currency
from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.billing import entitlements, guard, lifecycle, plans, self_service
from agora.billing.entitlements import PlanInForce
from agora.billing.models import Invoice, Plan, Subscription
from agora.billing.schemas import PlanOut, PriceOut, UsageByGpt, UsageOut
from agora.billing.subscriptions import members_in, subscription_of
from agora.config import Settings
from agora.db import utcnow
from agora.gpts.models import Gpt
from agora.i18n import current_language
from agora.metering import quota


def plan_out(plan: Plan) -> PlanOut:
    return PlanOut(
        code=plan.code, name=plan.name, prices=[PriceOut.model_validate(p) for p in plan.prices], custom_price=not plan.prices,
        min_seats=plan.min_seats, entitlements=plans.entitlements(plan).model_dump(),
    )


@dataclass(frozen=True)
class PaymentDue:
    """The banner of the offline grace period: the first invoice, by when to pay it, and whether that has passed."""

    number: str
    amount: str
    pay_by: datetime
    plan: str
    overdue: bool


def payment_due(session: Session, subscription: Subscription | None) -> PaymentDue | None:
    if subscription is None or subscription.pay_by is None or subscription.status in lifecycle.ENDED:
        return None
    invoice = session.scalar(select(Invoice).where(Invoice.subscription_id == subscription.id, Invoice.reason == "subscription_start",
                                                   Invoice.status == "open").order_by(Invoice.id.desc()))
    if invoice is None:
        return None
    assert invoice.number is not None  # invoices.issue numbers an invoice as it writes it
    return PaymentDue(invoice.number, money_here(invoice.total, invoice.currency), subscription.pay_by,
                      plans.get_plan(session, subscription.plan_code).name, subscription.pay_by <= utcnow())


def payment_due_for(session: Session, viewer: User) -> PaymentDue | None:
    """The banner for the workspace the viewer works in."""
    workspace, _role = self_service.workspace_of(session, viewer)
    return payment_due(session, subscription_of(session, workspace.id))


@dataclass(frozen=True)
class Pricing:
    """The pricing page for one viewer: the plans, and what they may do with their workspace's plan."""

    plans: list[PlanOut]
    current: PlanInForce | None = None
    trial_ends: datetime | None = None
    subscription: Subscription | None = None  # the workspace's billed, live subscription
    workspace_name: str = ""
    can_manage: bool = False
    members: int = 1  # a per-seat plan needs at least this many seats
    payment_due: PaymentDue | None = None


def pricing(session: Session, viewer: User | None, settings: Settings) -> Pricing:
    shown = [plan_out(p) for p in plans.all_plans(session)]
    if viewer is None:
        return Pricing(shown)
    current = entitlements.plan_in_force(session, viewer, settings)
    workspace, role = self_service.workspace_of(session, viewer)
    subscription = subscription_of(session, workspace.id)
    return Pricing(
        shown, current, entitlements.trial_ends(viewer, settings) if current.status == "trial" else None,
        subscription if self_service.is_live(subscription) else None,
        workspace.name if workspace.kind == "team" else "", role in self_service.MANAGERS, members_in(session, workspace.id),
        payment_due(session, subscription),
    )


@dataclass(frozen=True)
class Billing:
    """The billing page: the plan of the workspace the viewer works in, and its invoices."""

    pricing: Pricing
    invoices: list[Invoice]
    can_open_portal: bool  # a live Stripe subscription is changed and paid in Stripe's Customer Portal


INVOICES_SHOWN = 100  # newest first; an invoice's own page is reachable by its number for ever


def billing(session: Session, viewer: User, settings: Settings) -> Billing:
    view = pricing(session, viewer, settings)
    workspace, _role = self_service.workspace_of(session, viewer)
    # Every member may open the workspace's invoices (as the invoice page allows), so they are listed to all.
    shown = list(session.scalars(
        select(Invoice).where(Invoice.workspace_id == workspace.id, Invoice.number.is_not(None))
        .order_by(Invoice.created_at.desc(), Invoice.id.desc()).limit(INVOICES_SHOWN)
    ))
    portal = view.can_manage and view.subscription is not None and view.subscription.gateway == "stripe"
    return Billing(view, shown, portal)


def monthly_equivalent(price: dict) -> str | None:
    """$25.00 for a yearly $300.00, when a year divides into whole cents a month."""
    if price["interval"] != "year" or price["amount"] % 12:
        return None
    return money_here(price["amount"] // 12, price["currency"])


def usage(session: Session, user: User, settings: Settings) -> UsageOut:
    in_force = entitlements.plan_in_force(session, user, settings)
    window = guard.window(settings)
    counts = quota.by_gpt_in_window(session, user.id, window)
    names = dict(session.execute(select(Gpt.id, Gpt.name).where(Gpt.id.in_([gpt_id for gpt_id, _ in counts]))).all())
    used = sum(n for _, n in counts)
    limit = in_force.entitlements.messages_per_window
    return UsageOut(
        plan=in_force.plan.code, status=in_force.status, window_hours=settings.quota_window_hours, messages_in_window=used, limit=limit,
        frees_at=quota.next_free(session, user.id, window) if limit is not None and used >= limit else None,
        by_gpt=[UsageByGpt(gpt_id=gpt_id, name=names.get(gpt_id, gpt_id), messages=n) for gpt_id, n in counts],
    )


def money(amount: int, currency: str) -> str:
    """$20.00 from 2000 minor units (−$10.00 for a credit): integer arithmetic, never a float."""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency + " ")
    sign = "−" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount) // 100}.{abs(amount) % 100:02d}"


def money_in(amount: int, currency: str, language: str) -> str:
    """900,00 $US in French, $900.00 in English (Babel's formats): minor units made exact with Decimal, never a float."""
    return format_currency(Decimal(amount).scaleb(-2), currency, locale=language)


def money_here(amount: int, currency: str) -> str:
    """An amount for the page being rendered, in its reader's language: Babel's format in French
    (20,00 $US), the house format in English (−$10.00 keeps its true minus sign)."""
    language = current_language.get()
    return money(amount, currency) if language == "en" else money_in(amount, currency, language)


def price_label(price: dict) -> str:
    return money_here(price["amount"], price["currency"])
