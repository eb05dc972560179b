"""Stripe webhooks: verified, processed exactly once, robust to redelivery and reordering.

- The `Stripe-Signature` header is checked with the SDK against AGORA_STRIPE_WEBHOOK_SECRET
  (5-minute tolerance): a bad or old signature is a 400 and nothing changes.
- Each event id is stored in `gateway_events` in the same transaction as its effect: a
  redelivered event finds its id and changes nothing.
- Out of order: `customer.subscription.updated` older than the last change applied is
  ignored; events about a subscription Agora does not know yet (Stripe does not promise
  order) are acknowledged and ignored, and the later events carry the state; events for an
  ended subscription never revive it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User, Workspace
from agora.billing import invoices, lifecycle, serial, stripe_events
from agora.billing.models import GatewayEvent, Invoice, Subscription
from agora.billing.stripe_gateway import price_ids
from agora.billing.subscriptions import record
from agora.config import Settings
from agora.credits import purchases
from agora.db import insert_for
from agora.errors import AgoraError, InvalidInput
from agora.i18n import gettext as _

STATUSES = {"trialing": "trialing", "active": "active", "past_due": "past_due", "unpaid": "past_due",
            "canceled": "canceled", "incomplete_expired": "expired"}


def verify(payload: bytes, signature: str | None, settings: Settings) -> dict:
    if not settings.stripe_webhook_secret:
        raise InvalidInput(_("Stripe webhooks are not configured (AGORA_STRIPE_WEBHOOK_SECRET)."), status=400)
    try:
        return stripe.Webhook.construct_event(payload, signature or "", settings.stripe_webhook_secret, tolerance=300).to_dict()
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise InvalidInput(_("The webhook signature is missing, wrong or too old."), code="bad_signature", status=400) from error


def process(session: Session, event: dict, settings: Settings) -> str:
    """Apply one verified event; returns "processed", "duplicate" or "ignored".

    Each change is made holding the subscription's workspace (billing.serial), as the
    pricing page and the API make theirs.
    """
    envelope = stripe_events.parse(stripe_events.Envelope, event)
    serial.begin(session)
    fresh = session.execute(
        insert_for(session)(GatewayEvent).values(id=envelope.id, gateway="stripe", kind=envelope.type[:60]).on_conflict_do_nothing().returning(GatewayEvent.id)
    ).first()
    if fresh is None:
        return "duplicate"
    handler = HANDLERS.get(envelope.type)
    if handler is None:
        return "ignored"
    when = datetime.fromtimestamp(envelope.created, UTC)
    return handler(session, envelope.data.object, when=when, key=envelope.id, settings=settings)


def _by_external(session: Session, external_id: str | None) -> Subscription | None:
    """The subscription Stripe calls `external_id`, its workspace held and the subscription read after that."""
    subscription = session.scalar(select(Subscription).where(Subscription.external_id == external_id)) if external_id else None
    if subscription is not None:
        serial.hold(session, subscription.workspace_id)
        session.refresh(subscription)
    return subscription


def _object(shape, obj: dict):
    return stripe_events.parse(shape, obj, at="data.object")


def _checkout_completed(session: Session, obj: dict, *, when: datetime, key: str, settings: Settings) -> str:
    if isinstance(obj.get("metadata"), dict) and "credits_user_id" in obj["metadata"]:
        return _credit_paid(session, obj, when=when, key=key, settings=settings)
    if not isinstance(obj.get("metadata"), dict) or not {"workspace_id", "plan"} & obj["metadata"].keys():
        return "ignored"  # a Checkout not made by Agora (a one-off payment on the same Stripe account)
    checkout = _object(stripe_events.CheckoutCompleted, obj)
    workspace = session.get(Workspace, checkout.metadata.workspace_id)
    if workspace is None or checkout.subscription is None:
        return "ignored"
    serial.hold(session, workspace.id)
    meta = checkout.metadata
    subscription, invoice = lifecycle.start(session, workspace=workspace, plan_code=meta.plan, seats=meta.seats, interval=meta.interval,
                                            now=when, gateway="stripe", key=key)
    subscription.external_id, subscription.customer_id = checkout.subscription, checkout.customer
    if invoice is not None and checkout.payment_status == "paid":
        lifecycle.invoice_paid(session, invoice, now=when, external_id=checkout.invoice)
    return "processed"


def _credit_paid(session: Session, obj: dict, *, when: datetime, key: str, settings: Settings) -> str:
    """Credit bought through Checkout: recorded once per Checkout Session (a replayed or second event for it changes nothing);
    an asynchronous payment method is credited on `checkout.session.async_payment_succeeded`."""
    checkout = _object(stripe_events.CreditCheckout, obj)
    if checkout.payment_status != "paid" or checkout.amount_total <= 0:
        return "ignored"
    if session.get(User, checkout.metadata.credits_user_id) is None:
        return "ignored"  # the account was deleted before it paid: Stripe's dashboard refunds it
    posted = purchases.record(session, user_id=checkout.metadata.credits_user_id, amount=checkout.amount_total,
                              currency=checkout.currency.upper(), gateway="stripe", reference=checkout.id, when=when)
    return "processed" if posted.created else "duplicate"


def _invoice_paid(session: Session, obj: dict, *, when: datetime, key: str, settings: Settings) -> str:
    paid = _object(stripe_events.InvoicePaid, obj)
    subscription = _by_external(session, paid.subscription_id)
    if subscription is None:
        return "ignored"
    mine = session.scalar(select(Invoice).where(Invoice.external_id == paid.id)) or session.scalar(
        select(Invoice).where(Invoice.subscription_id == subscription.id, Invoice.status == "open", Invoice.total > 0).order_by(Invoice.id)
    )
    if mine is None:  # a renewal Stripe billed: mirror it, to the cent, in Agora's invoices
        mine = invoices.issue(session, workspace_id=subscription.workspace_id, subscription_id=subscription.id, currency=paid.currency.upper(),
                              reason="renewal", lines=[invoices.Line(f"Stripe {paid.number or paid.id}", 1, paid.amount_paid, paid.amount_paid)],
                              idempotency_key=f"stripe:{paid.id}")
    lifecycle.invoice_paid(session, mine, now=when, external_id=paid.id, key=key)
    return "processed"


def _payment_failed(session: Session, obj: dict, *, when: datetime, key: str, settings: Settings) -> str:
    subscription = _by_external(session, _object(stripe_events.InvoiceEvent, obj).subscription_id)
    if subscription is None:
        return "ignored"
    lifecycle.payment_failed(session, subscription, now=when, key=key)
    return "processed"


def _subscription_updated(session: Session, obj: dict, *, when: datetime, key: str, settings: Settings) -> str:
    update = _object(stripe_events.SubscriptionUpdated, obj)
    subscription = _by_external(session, update.id)
    if subscription is None or subscription.status in lifecycle.ENDED or when < subscription.updated_at.replace(microsecond=0):
        return "ignored"
    item = update.items.data[0] if update.items.data else stripe_events.SubscriptionItem()
    by_price = {price: plan for plan, price in price_ids(settings).items()}
    price_id = item.price.id if item.price else None
    plan_interval = by_price.get(price_id) if price_id else None
    period_end = update.current_period_end or item.current_period_end
    if plan_interval:
        subscription.plan_code, subscription.interval = plan_interval
    subscription.seats = item.quantity or subscription.seats
    subscription.cancel_at_period_end = update.cancel_at_period_end
    if period_end:
        subscription.current_period_end = datetime.fromtimestamp(period_end, UTC)
    status = STATUSES.get(update.status, subscription.status)
    try:
        lifecycle.move(session, subscription, status, "synced", {"plan": subscription.plan_code, "seats": subscription.seats}, when, key)
    except AgoraError:
        record(session, subscription, "ignored", {"stripe_status": update.status}, idempotency_key=key)
    return "processed"


def _subscription_deleted(session: Session, obj: dict, *, when: datetime, key: str, settings: Settings) -> str:
    subscription = _by_external(session, _object(stripe_events.SubscriptionEvent, obj).id)
    if subscription is None or subscription.status in lifecycle.ENDED or subscription.current_period_end is None:
        return "ignored"  # unknown, ended, or since set by the operator (who manages it now)
    lifecycle.cancel(session, subscription, now=when, at_period_end=False, key=key)
    return "processed"


HANDLERS = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _credit_paid,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _payment_failed,
    "customer.subscription.updated": _subscription_updated,
    "customer.subscription.deleted": _subscription_deleted,
}


def register(kind: str, handler) -> None:
    """An event another package handles (agora.payouts: its transfers' reversals), as the handlers above are called."""
    HANDLERS[kind] = handler
