"""The subscription state machine: start, renew, change plan or seats, cancel, pay, fail.

    trialing ─▶ active ◀─▶ past_due ─▶ expired
        │          │  └─────────────────────▲  offline: the first invoice unpaid past its grace period
        └──────────┴───────────┴─▶ canceled

Every change is validated against TRANSITIONS and appends a SubscriptionEvent; a change
carrying an idempotency key that was seen before is ignored (webhooks, retries). Money
moves only through invoices (agora.billing.invoices), prorated by agora.billing.proration.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import Workspace
from agora.billing import invoices, plans, proration
from agora.billing.models import Invoice, Plan, Subscription, SubscriptionEvent
from agora.billing.subscriptions import check_seats, record
from agora.errors import Conflict, InvalidInput
from agora.i18n import gettext as _

TRANSITIONS: dict[str, set[str]] = {
    "trialing": {"active", "past_due", "canceled", "expired"},
    "active": {"active", "past_due", "canceled", "expired"},
    "past_due": {"active", "canceled", "expired"},
    "canceled": set(),
    "expired": set(),
}
ENDED = ("canceled", "expired")


def add_interval(moment: datetime, interval: str) -> datetime:
    """Same day next month (clamped: Jan 31 → Feb 28) or next year."""
    if interval == "year":
        year, month = moment.year + 1, moment.month
    else:
        year, month = moment.year + moment.month // 12, moment.month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def period_amount(plan: Plan, interval: str, seats: int) -> tuple[int, str, int]:
    """(amount for the whole period, currency, unit amount) for `seats` on `plan` billed every `interval`."""
    for price in plan.prices:
        if price["interval"] == interval:
            quantity = seats if price["per_seat"] else 1
            return price["amount"] * quantity, price["currency"], price["amount"]
    raise InvalidInput(_("The %(plan)s plan is not sold per %(interval)s.", plan=plan.name, interval=interval), field="interval")


def _seen(session: Session, key: str | None) -> bool:
    return key is not None and session.scalar(select(SubscriptionEvent.id).where(SubscriptionEvent.idempotency_key == key)) is not None


def move(session: Session, subscription: Subscription, to: str, kind: str, data: dict, now: datetime, key: str | None) -> None:
    if to not in TRANSITIONS[subscription.status] and to != subscription.status:
        raise Conflict(_("A %(state)s subscription cannot become %(to)s.", state=subscription.status, to=to), code="invalid_transition")
    data = {"from": subscription.status, "to": to, **data}
    subscription.status, subscription.updated_at = to, now
    record(session, subscription, kind, data, idempotency_key=key)


def check_start(session: Session, *, workspace: Workspace, plan_code: str, seats: int, interval: str) -> None:
    """Refuse, before sending anyone to pay, what `start` would refuse."""
    plan = plans.get_plan(session, plan_code)
    check_seats(session, plan, workspace.id, seats)
    period_amount(plan, interval, seats)


def start(session: Session, *, workspace: Workspace, plan_code: str, seats: int, interval: str, now: datetime,
          trial_days: int = 0, gateway: str = "offline", key: str | None = None, pay_within: timedelta | None = None) -> tuple[Subscription, Invoice | None]:
    """Subscribe a workspace (or restart an ended subscription): a trial, or a first period billed at once.

    `pay_within`: the first invoice is to be paid within it, the plan active meanwhile (the
    offline gateway's grace period; see expire_unpaid). A free period owes nothing.
    """
    plan = plans.get_plan(session, plan_code)
    check_seats(session, plan, workspace.id, seats)
    amount, currency, unit = period_amount(plan, interval, seats)
    subscription = session.scalar(select(Subscription).where(Subscription.workspace_id == workspace.id))
    # An operator-set plan (no period end) gives way to a billed one on the same row, events kept.
    if subscription is not None and subscription.status not in ENDED and subscription.current_period_end is not None:
        raise Conflict(_("This workspace already has a %(state)s subscription; change it instead.", state=subscription.status))
    end = now + timedelta(days=trial_days) if trial_days else add_interval(now, interval)
    if subscription is None:
        subscription = Subscription(workspace_id=workspace.id, status="trialing" if trial_days else "active")
        session.add(subscription)
    subscription.plan_code, subscription.seats, subscription.interval, subscription.gateway = plan.code, seats, interval, gateway
    subscription.current_period_start, subscription.current_period_end, subscription.cancel_at_period_end = now, end, False
    subscription.status, subscription.updated_at = ("trialing" if trial_days else "active"), now
    subscription.segment_start, subscription.segment_charged = now, 0 if trial_days else amount
    subscription.pay_by = now + pay_within if pay_within is not None and not trial_days and amount > 0 else None
    session.flush()
    record(session, subscription, "started", {"plan": plan.code, "seats": seats, "interval": interval, "trial_days": trial_days}, idempotency_key=key)
    if trial_days:
        return subscription, None
    invoice = invoices.issue(session, workspace_id=workspace.id, subscription_id=subscription.id, currency=currency, reason="subscription_start",
                             lines=[invoices.Line(f"{plan.name} ({interval})", amount // unit if unit else 1, unit, amount, now, end)])
    return subscription, invoice


def change(session: Session, subscription: Subscription, *, now: datetime, plan_code: str | None = None, seats: int | None = None,
           key: str | None = None) -> Invoice | None:
    """Upgrade, downgrade or change seats now, prorated to the cent; returns the proration invoice.

    A change to the plan and seats the subscription already has is no change: nothing is
    billed or recorded (a double click, twenty tabs asking for the same upgrade).
    """
    if _seen(session, key):
        return None
    if subscription.status in ENDED:
        raise Conflict(_("This subscription has ended; start a new one."))
    old = plans.get_plan(session, subscription.plan_code)
    new = plans.get_plan(session, plan_code or subscription.plan_code)
    seats = subscription.seats if seats is None else seats
    if (new.code, seats) == (old.code, subscription.seats):
        return None
    check_seats(session, new, subscription.workspace_id, seats)
    new_amount, currency, _unit = period_amount(new, subscription.interval, seats)
    data = {"plan": [old.code, new.code], "seats": [subscription.seats, seats]}
    invoice = None
    if subscription.status != "trialing":
        segment_start, period_end = subscription.segment_start, subscription.current_period_end
        # Only billed subscriptions are changed (self_service.is_live), and start() gave them both.
        assert segment_start is not None and period_end is not None
        step = proration.prorate(
            charged=subscription.segment_charged, segment_start=_s(segment_start), new_amount=new_amount,
            period_start=_s(subscription.current_period_start), period_end=_s(period_end), at=_s(now),
        )
        lines = [
            invoices.Line(_("Unused time on %(plan)s", plan=old.name), 1, -step.credit, -step.credit, now, subscription.current_period_end),
            invoices.Line(_("Remaining time on %(plan)s", plan=new.name), 1, step.charge, step.charge, now, subscription.current_period_end),
        ]
        invoice = invoices.issue(session, workspace_id=subscription.workspace_id, subscription_id=subscription.id, currency=currency,
                                 reason="proration", lines=lines, idempotency_key=key)
        subscription.segment_start, subscription.segment_charged = now, step.charge
        data.update(credit=step.credit, charge=step.charge, invoice=invoice.number)
    subscription.plan_code, subscription.seats = new.code, seats
    move(session, subscription, subscription.status, "changed", data, now, key)
    return invoice


def cancel(session: Session, subscription: Subscription, *, now: datetime, at_period_end: bool = True, key: str | None = None) -> None:
    """At period end (the default) keeps the plan until then; at once ends it now, without a refund.

    Cancelling what is already cancelled, or ended, changes nothing.
    """
    if _seen(session, key) or subscription.status in ENDED or (at_period_end and subscription.cancel_at_period_end):
        return
    if subscription.current_period_end is None:
        raise Conflict(_("This plan was set by the operator of this Agora and has no billing period, so there is nothing to cancel here. "
                         "Ask them to change it, or choose another plan."), field="plan", code="operator_managed")
    if at_period_end:
        subscription.cancel_at_period_end = True
        record(session, subscription, "cancel_scheduled", {"at": subscription.current_period_end.isoformat()}, idempotency_key=key)
        return
    subscription.current_period_end = now
    move(session, subscription, "canceled", "canceled", {}, now, key)


def advance(session: Session, subscription: Subscription, *, now: datetime) -> Invoice | None:
    """What happens when a period ends: cancel, expire an unpaid trial or debt, or renew and bill."""
    if subscription.current_period_end is None or now < subscription.current_period_end or subscription.status in ENDED:
        return None
    if subscription.cancel_at_period_end:
        move(session, subscription, "canceled", "canceled", {"reason": "period_end"}, now, None)
        return None
    if subscription.status == "past_due":
        move(session, subscription, "expired", "expired", {"reason": "unpaid"}, now, None)
        return None
    plan = plans.get_plan(session, subscription.plan_code)
    amount, currency, unit = period_amount(plan, subscription.interval, subscription.seats)
    start_at = subscription.current_period_end
    end = add_interval(start_at, subscription.interval)
    unpaid = session.scalar(select(Invoice.id).where(Invoice.subscription_id == subscription.id, Invoice.status == "open", Invoice.total > 0))
    subscription.current_period_start, subscription.current_period_end = start_at, end
    subscription.segment_start, subscription.segment_charged = start_at, amount
    move(session, subscription, "past_due" if unpaid else "active", "renewed", {"period_end": end.isoformat()}, now, None)
    return invoices.issue(session, workspace_id=subscription.workspace_id, subscription_id=subscription.id, currency=currency, reason="renewal",
                          lines=[invoices.Line(f"{plan.name} ({subscription.interval})", amount // unit if unit else 1, unit, amount, start_at, end)],
                          idempotency_key=f"renewal:{subscription.id}:{start_at.isoformat()}")


def invoice_paid(session: Session, invoice: Invoice, *, now: datetime, external_id: str | None = None, key: str | None = None) -> bool:
    if not invoices.mark_paid(session, invoice, external_id=external_id):
        return False
    subscription = session.get(Subscription, invoice.subscription_id) if invoice.subscription_id else None
    if subscription is not None and invoice.reason == "subscription_start":
        subscription.pay_by = None  # the grace period is over: paid
    if subscription is not None and subscription.status in ("past_due", "trialing"):
        move(session, subscription, "active", "payment_succeeded", {"invoice": invoice.number}, now, key)
    elif subscription is not None:
        record(session, subscription, "payment_succeeded", {"invoice": invoice.number}, idempotency_key=key)
    return True


def expire_unpaid(session: Session, subscription: Subscription, *, now: datetime) -> bool:
    """End a subscription whose first invoice was not paid within its grace period; False when it is not due.

    The plan already stopped at the deadline (entitlements); this records it: the subscription
    is `expired` and the invoice voided, since nothing is owed for a plan that ends unpaid.
    """
    if subscription.pay_by is None or subscription.pay_by > now or subscription.status in ENDED:
        return False
    unpaid = list(session.scalars(select(Invoice).where(
        Invoice.subscription_id == subscription.id, Invoice.reason == "subscription_start", Invoice.status == "open")))
    for invoice in unpaid:
        invoices.void(session, invoice)
    subscription.current_period_end = min(subscription.current_period_end or now, now)
    move(session, subscription, "expired", "expired", {"reason": "unpaid", "invoices": [i.number for i in unpaid]}, now, None)
    return True


def catch_up(session: Session, subscription: Subscription, *, now: datetime) -> bool:
    """Apply everything due by `now`; False when nothing was.

    An unpaid first invoice past its deadline first, then each period end passed, one after
    the other (a clock stopped for three periods renews, then expires, as it would have).
    Offline plans only: Stripe renews its own and says so by webhook.
    """
    changed = expire_unpaid(session, subscription, now=now)
    while (subscription.gateway == "offline" and subscription.status not in ENDED
           and subscription.current_period_end is not None and subscription.current_period_end <= now):
        advance(session, subscription, now=now)
        changed = True
    return changed


def payment_failed(session: Session, subscription: Subscription, *, now: datetime, invoice: Invoice | None = None, key: str | None = None) -> None:
    """The plan stays in force while past_due (the gateway retries); the next period end expires it."""
    if _seen(session, key) or subscription.status in ENDED:
        return
    move(session, subscription, "past_due", "payment_failed", {"invoice": invoice.number if invoice else None}, now, key)


def _s(moment: datetime) -> int:
    return int(moment.timestamp())
