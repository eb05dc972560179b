"""Billing tables: plans (data an admin edits), subscriptions and their append-only events,
invoices, and the requests already answered (retries replay their answer)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class Plan(Base):
    """A plan: its prices and what it allows. Codes are stable; everything else is editable."""

    __tablename__ = "plans"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)
    # [{"amount": minor units, "currency": "USD", "interval": "month"|"year", "per_seat": bool}];
    # empty for a custom (invoiced) price.
    prices: Mapped[list] = mapped_column(JSON, default=list)
    min_seats: Mapped[int] = mapped_column(default=1)
    # See agora.billing.plans.Entitlements for the keys.
    entitlements: Mapped[dict] = mapped_column(JSON, default=dict)
    public: Mapped[bool] = mapped_column(Boolean, default=True)


class Subscription(Base):
    """A workspace's plan. A personal workspace without one is on Free (or the sign-up trial)."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    plan_code: Mapped[str] = mapped_column(ForeignKey("plans.code"))
    status: Mapped[str] = mapped_column(String(10))  # trialing, active, past_due, canceled or expired
    seats: Mapped[int] = mapped_column(default=1)
    interval: Mapped[str] = mapped_column(String(5), default="month")
    current_period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # the billing clock looks for those passed
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    # What was charged for the part of the period since the last change: credits come from it.
    segment_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    segment_charged: Mapped[int] = mapped_column(BigInteger, default=0)
    gateway: Mapped[str] = mapped_column(String(20), default="offline")
    # Offline gateway: the first invoice is to be paid by then, the plan active meanwhile (the
    # grace period); None once it is paid, and for plans paid at the gateway or set by the operator.
    pay_by: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubscriptionEvent(Base):
    """Every change to a subscription, appended and never updated: the audit trail."""

    __tablename__ = "subscription_events"
    __table_args__ = (Index("ix_subscription_events_subscription", "subscription_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Gateway event ids and CLI retries: the same change applied twice is recorded once.
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invoice(Base):
    """A bill for a workspace. Its lines never change; its total is their sum, fixed when it is issued."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    # AG-000042: numbered from the id, so two workers never issue the same number.
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id", ondelete="SET NULL"))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)  # minor units; negative when credits exceed charges (carried as a credit note)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, paid, void
    reason: Mapped[str] = mapped_column(String(30))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InvoiceLine(Base):
    """One numbered line of an invoice: inserted with the invoice, never updated."""

    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # quantity × unit amount, or a prorated part of it; negative for a credit
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)


@event.listens_for(SubscriptionEvent, "before_update")
def _events_are_append_only(mapper, connection, target) -> None:
    raise RuntimeError("subscription events are append-only")


@event.listens_for(InvoiceLine, "before_update")
def _lines_are_immutable(mapper, connection, target) -> None:
    raise RuntimeError("invoice lines are immutable; issue a new invoice (a credit) instead")


class GatewayEvent(Base):
    """A webhook event already processed: the primary key makes a redelivery a no-op."""

    __tablename__ = "gateway_events"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the gateway's event id (evt_...)
    gateway: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(60))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BillingRequest(Base):
    """A plan change asked with an idempotency key, and what it answered: a retry gets the same answer.

    Claimed in the transaction that makes the change, so a request that fails leaves no record
    and its retry is made afresh.
    """

    __tablename__ = "billing_requests"

    # "<user id>:<the client's key>": keys are the client's own, so two users' keys never meet.
    key: Mapped[str] = mapped_column(String(130), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of what was asked: a key reused for another request is refused
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
