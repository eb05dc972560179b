"""The subscription state machine and invoices, against the real databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.accounts.models import Membership, Workspace
from agora.billing import entitlements, invoices, lifecycle, plans
from agora.billing.models import Invoice, InvoiceLine, SubscriptionEvent
from agora.config import Settings
from agora.errors import Conflict, InvalidInput
from agora.workspaces.service import create_team

T0 = datetime(2026, 3, 1, tzinfo=UTC)  # a 31-day month: 2,678,400 seconds


def _team(session, members: int = 3) -> tuple[Workspace, object]:
    owner = accounts.create_user(session, email="owner@example.com", display_name="Owner", password=None)
    session.flush()
    team = create_team(session, owner=owner, name="Walrus Inc")
    for n in range(members - 1):
        member = accounts.create_user(session, email=f"m{n}@example.com", display_name=f"M{n}", password=None)
        session.flush()
        session.add(Membership(workspace_id=team.id, user_id=member.id, role="member"))
    session.flush()
    return team, owner


def _kinds(session, subscription) -> list[str]:
    return list(session.scalars(select(SubscriptionEvent.kind).where(SubscriptionEvent.subscription_id == subscription.id).order_by(SubscriptionEvent.id)))


def test_team_seats_change_mid_period_is_prorated_to_the_cent(database):
    with database.session() as session:
        team, _owner = _team(session)
        sub, first = lifecycle.start(session, workspace=team, plan_code="team", seats=3, interval="month", now=T0)
        lines = invoices.lines_of(session, first)
        assert (first.number, first.total, first.currency) == (f"AG-{first.id:06d}", 9000, "USD")
        assert [(l.position, l.quantity, l.unit_amount, l.amount) for l in lines] == [(1, 3, 3000, 9000)]
        ten_days = T0 + timedelta(days=10)  # 21 of 31 days left
        bill = lifecycle.change(session, sub, seats=5, now=ten_days, key="seats-1")
        assert [l.amount for l in invoices.lines_of(session, bill)] == [-6096, 10161]  # floor(9000×21/31), floor(15000×21/31)
        assert bill.total == 4065 and sub.seats == 5 and sub.segment_charged == 10161
        assert lifecycle.change(session, sub, seats=5, now=ten_days, key="seats-1") is None  # the same request twice: one effect
        assert session.scalar(select(func.count()).select_from(Invoice)) == 2
        with pytest.raises(InvalidInput, match="remove members"):
            lifecycle.change(session, sub, seats=2, now=ten_days)  # 3 members in use
        with pytest.raises(InvalidInput, match="at least 2 seats"):
            lifecycle.change(session, sub, seats=1, now=ten_days)
        assert _kinds(session, sub) == ["started", "changed"]


def test_payment_failure_mid_period_then_recovery_then_expiry(database):
    with database.session() as session:
        team, owner = _team(session, members=2)
        sub, first = lifecycle.start(session, workspace=team, plan_code="team", seats=2, interval="month", now=T0)
        lifecycle.payment_failed(session, sub, now=T0 + timedelta(days=3), invoice=first, key="evt_fail_1")
        lifecycle.payment_failed(session, sub, now=T0 + timedelta(days=3), invoice=first, key="evt_fail_1")
        assert sub.status == "past_due" and _kinds(session, sub).count("payment_failed") == 1
        assert sub.status in entitlements.GRANTING  # the team keeps its plan while the payment is retried
        assert lifecycle.invoice_paid(session, first, now=T0 + timedelta(days=4)) is True
        assert lifecycle.invoice_paid(session, first, now=T0 + timedelta(days=4)) is False  # paid once
        assert sub.status == "active"
        renewal = lifecycle.advance(session, sub, now=T0 + timedelta(days=31))
        assert renewal.total == 6000 and sub.current_period_start == datetime(2026, 4, 1, tzinfo=UTC) and sub.status == "active"
        assert lifecycle.advance(session, sub, now=T0 + timedelta(days=31)) is None  # not due again
        second = lifecycle.advance(session, sub, now=datetime(2026, 5, 1, tzinfo=UTC))  # April's invoice was never paid
        assert sub.status == "past_due" and second.number != renewal.number
        lifecycle.advance(session, sub, now=datetime(2026, 6, 1, tzinfo=UTC))
        assert sub.status == "expired"
        lifecycle.payment_failed(session, sub, now=datetime(2026, 6, 2, tzinfo=UTC), key="late")  # out of order: ignored
        assert sub.status == "expired"
        with pytest.raises(Conflict):
            lifecycle.change(session, sub, seats=3, now=datetime(2026, 6, 2, tzinfo=UTC))


def test_cancel_at_period_end_keeps_the_plan_until_then(database):
    with database.session() as session:
        user = accounts.create_user(session, email="p@example.com", display_name="P", password="correct horse battery")
        session.flush()
        personal = session.get(Workspace, accounts.personal_workspace_id(session, user))
        now = datetime.now(UTC)
        sub, invoice = lifecycle.start(session, workspace=personal, plan_code="plus", seats=1, interval="month", now=now)
        assert invoice.total == 2000
        with pytest.raises(Conflict):
            lifecycle.start(session, workspace=personal, plan_code="plus", seats=1, interval="month", now=now)
        lifecycle.cancel(session, sub, now=now)
        no_trial = Settings(_env_file=None, trial_days=0)
        assert entitlements.plan_in_force(session, user, no_trial).plan.code == "plus"
        lifecycle.advance(session, sub, now=sub.current_period_end)
        assert sub.status == "canceled" and entitlements.plan_in_force(session, user, no_trial).plan.code == "free"
        with pytest.raises(Conflict):
            lifecycle.change(session, sub, plan_code="team", now=now)  # ended: start a new one instead
        restarted, _ = lifecycle.start(session, workspace=personal, plan_code="plus", seats=1, interval="month", now=sub.current_period_end)
        assert restarted.id == sub.id and restarted.status == "active"


def test_trial_then_upgrade_without_charge_and_the_plan_is_not_sold_yearly(database):
    with database.session() as session:
        team, _owner = _team(session, members=2)
        sub, invoice = lifecycle.start(session, workspace=team, plan_code="team", seats=2, interval="year", now=T0, trial_days=14)
        assert invoice is None and sub.status == "trialing" and sub.current_period_end == T0 + timedelta(days=14)
        assert lifecycle.change(session, sub, seats=4, now=T0 + timedelta(days=1)) is None
        assert sub.seats == 4 and session.scalar(select(func.count()).select_from(Invoice)) == 0
        with pytest.raises(InvalidInput, match="not sold per year"):
            lifecycle.period_amount(plans.get_plan(session, "plus"), "year", 1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.integers(min_value=-1_000_000, max_value=1_000_000), min_size=1, max_size=8))
def test_invoice_total_is_the_sum_of_its_numbered_lines(database, amounts):
    with database.session() as session:
        owner = accounts.user_by_email(session, "inv@example.com") or accounts.create_user(session, email="inv@example.com", display_name="I", password=None)
        session.flush()
        workspace_id = accounts.personal_workspace_id(session, owner)
        invoice = invoices.issue(session, workspace_id=workspace_id, subscription_id=None, currency="USD", reason="test",
                                 lines=[invoices.Line(f"line {n}", 1, a, a) for n, a in enumerate(amounts)])
    with database.session() as session:
        stored = session.get(Invoice, invoice.id)
        lines = invoices.lines_of(session, stored)
        assert stored.total == sum(l.amount for l in lines) == sum(amounts)
        assert [l.position for l in lines] == list(range(1, len(amounts) + 1))


def test_invoice_lines_and_events_cannot_be_changed(database):
    with database.session() as session:
        team, _owner = _team(session, members=2)
        sub, invoice = lifecycle.start(session, workspace=team, plan_code="team", seats=2, interval="month", now=T0)
        with pytest.raises(InvalidInput):
            invoices.issue(session, workspace_id=team.id, subscription_id=None, currency="USD", reason="x", lines=[invoices.Line("x", 1, 19.99, 19.99)])
    with pytest.raises(RuntimeError, match="immutable"):
        with database.session() as session:
            session.scalars(select(InvoiceLine)).first().amount = 1
    with pytest.raises(RuntimeError, match="append-only"):
        with database.session() as session:
            session.scalars(select(SubscriptionEvent)).first().kind = "edited"
    with database.session() as session:
        assert session.scalars(select(InvoiceLine)).first().amount == 6000
