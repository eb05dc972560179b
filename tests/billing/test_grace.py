"""With the offline gateway a new plan is active for a grace period while its first invoice is open, with a banner, then ends unpaid."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.billing import clock
from agora.billing.models import Invoice, Subscription, SubscriptionEvent
from agora.db import utcnow
from tests.conftest import sign_up_in_chromium


@pytest.fixture
def paused_clock(server):
    """The server's own clock stopped, so the test says when the clock runs; started again after."""
    server.app.state.billing_clock.stop()
    yield
    server.app.state.billing_clock = clock.Clock(server.database).start()


def _subscribe(browser) -> dict:
    answer = browser.post("/api/subscription", json={"plan": "plus"}, headers=browser.api_headers())
    assert answer.status_code == 200, answer.text
    return answer.json()


def an_admin(make_browser, database):
    """A signed-in admin of Agora, who marks offline invoices paid."""
    admin = make_browser()
    admin.signup(email="admin@example.com")
    with database.session() as session:
        accounts.user_by_email(session, "admin@example.com").role = "admin"
    return admin


def _days_later(database, days: int) -> None:
    """As if `days` had passed: the subscription's payment deadline moves that far back."""
    with database.session() as session:
        subscription = session.scalar(select(Subscription))
        subscription.pay_by -= timedelta(days=days)


def test_the_plan_is_active_while_its_first_invoice_waits_then_ends_unpaid(browser, database, no_trial, paused_clock):
    browser.signup()
    started = _subscribe(browser)
    deadline = utcnow() + timedelta(days=14)
    assert abs(deadline - datetime.fromisoformat(started["pay_by"])) < timedelta(minutes=1)
    assert browser.get("/api/usage").json()["plan"] == "plus"  # active during the grace period
    for page in ("/billing", "/pricing", "/usage"):
        text = browser.get(page).text
        assert 'id="payment-due"' in text and started["invoice"] in text and "$20.00" in text and deadline.strftime("%Y-%m-%d") in text, page

    _days_later(database, 15)
    assert browser.get("/api/usage").json()["plan"] == "free"  # at the deadline, before the clock runs
    assert "was not paid" in browser.get("/billing").text

    assert clock.run_due(database, now=utcnow()) == 1
    assert clock.run_due(database, now=utcnow()) == 0  # nothing due twice
    with database.session() as session:
        subscription = session.scalar(select(Subscription))
        assert subscription.status == "expired"
        assert session.scalar(select(Invoice.status).where(Invoice.number == started["invoice"])) == "void"
        reasons = [e.data.get("reason") for e in session.scalars(select(SubscriptionEvent).where(SubscriptionEvent.kind == "expired"))]
        assert reasons == ["unpaid"]
    assert browser.get("/api/usage").json()["plan"] == "free"
    assert 'id="payment-due"' not in browser.get("/billing").text
    again = _subscribe(browser)  # they may subscribe again, and are billed again
    assert again["status"] == "active" and again["invoice"] != started["invoice"]


def test_paying_within_the_grace_period_keeps_the_plan(browser, make_browser, database, no_trial, paused_clock):
    browser.signup()
    started = _subscribe(browser)
    admin = an_admin(make_browser, database)
    assert admin.post(f"/api/admin/invoices/{started['invoice']}/paid", headers=admin.api_headers()).json()["changed"] is True
    assert 'id="payment-due"' not in browser.get("/billing").text
    with database.session() as session:
        assert session.scalar(select(Subscription.pay_by)) is None
    assert clock.run_due(database, now=utcnow() + timedelta(days=20)) == 0
    assert browser.get("/api/usage").json()["plan"] == "plus"


def test_the_clock_runs_in_every_worker(server):
    assert any(thread.name == "agora-billing-clock" for thread in threading.enumerate())


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_a_subscriber_sees_by_when_to_pay_on_desktop_and_phone(chromium, server, no_trial, width):
    context = chromium.new_context(base_url=server.url, locale="en-US", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_up_in_chromium(page)
    page.goto("/pricing")
    page.get_by_role("button", name="Choose Plus").click()
    page.get_by_role("button", name="Confirm: $20.00 per month").click()
    banner = page.locator("#payment-due")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("$20.00")
    expect(banner).to_contain_text((utcnow() + timedelta(days=14)).strftime("%Y-%m-%d"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than a phone's screen
    banner.get_by_role("link", name="See the invoice").click()
    expect(page.get_by_text("$20.00").first).to_be_visible()
    context.close()


def _months_later(database, months: int) -> None:
    """As if `months` had passed: the subscription's period lies that far back."""
    with database.session() as session:
        subscription = session.scalar(select(Subscription))
        shift = subscription.current_period_end - subscription.current_period_start
        subscription.current_period_start -= shift * months
        subscription.current_period_end -= shift * months
        subscription.segment_start -= shift * months
        if subscription.pay_by:
            subscription.pay_by -= shift * months


def test_the_clock_renews_offline_plans_at_period_end_and_ends_what_was_cancelled_or_left_unpaid(browser, make_browser, database, no_trial, paused_clock):
    browser.signup()
    started = _subscribe(browser)
    admin = an_admin(make_browser, database)
    admin.post(f"/api/admin/invoices/{started['invoice']}/paid", headers=admin.api_headers())

    _months_later(database, 1)
    assert clock.run_due(database, now=utcnow()) == 1
    with database.session() as session:
        subscription = session.scalar(select(Subscription))
        renewal = session.scalar(select(Invoice).where(Invoice.reason == "renewal"))
        assert (subscription.status, renewal.total, renewal.status) == ("active", 2000, "open")
        assert subscription.current_period_end > utcnow()
    assert clock.run_due(database, now=utcnow()) == 0  # renewed once
    assert browser.get("/api/usage").json()["plan"] == "plus"

    _months_later(database, 3)  # the renewal was never paid, and the clock did not run for three periods
    assert clock.run_due(database, now=utcnow()) == 1
    with database.session() as session:
        assert session.scalar(select(Subscription.status)) == "expired"  # past_due at the first end, expired at the next
    assert browser.get("/api/usage").json()["plan"] == "free"

    again = _subscribe(browser)
    admin.post(f"/api/admin/invoices/{again['invoice']}/paid", headers=admin.api_headers())
    browser.post("/api/subscription/cancel", headers=browser.api_headers())
    _months_later(database, 1)
    assert clock.run_due(database, now=utcnow()) == 1
    with database.session() as session:
        assert session.scalar(select(Subscription.status)) == "canceled"
        assert session.scalar(select(func.count()).select_from(Invoice).where(Invoice.reason == "renewal")) == 2  # none for the cancelled one
