"""The stripe gateway against signed webhook payloads and a local stand-in of the Stripe API."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.billing.models import GatewayEvent, Invoice, Subscription, SubscriptionEvent
from tests.billing.conftest import SECRET, deliver, post
from tests.billing.stripe_standin import API_VERSIONS, event, invoice, sign

def test_checkout_then_webhooks_drive_the_subscription_exactly_once(stripe_api, browser, database):
    browser.signup()
    headers = browser.api_headers()
    answer = browser.post("/api/subscription", json={"plan": "plus"}, headers=headers)
    assert answer.status_code == 200 and answer.json()["checkout_url"].startswith("https://checkout.stripe.test/")
    path, form = stripe_api.requests[-1]
    with database.session() as session:
        user = accounts.user_by_email(session, "ada@example.com")
        workspace_id = accounts.personal_workspace_id(session, user)
        assert session.scalar(select(Subscription)) is None  # nothing happens before Stripe says so
    assert path == "/v1/checkout/sessions" and form["line_items[0][price]"] == "price_plus_m" and form["metadata[workspace_id]"] == str(workspace_id)
    assert browser.post("/api/subscription", json={"plan": "enterprise"}, headers=headers).status_code == 422  # not sold online

    completed = {"id": "cs_test_1", "object": "checkout.session", "subscription": "sub_1", "customer": "cus_1", "payment_status": "paid",
                 "invoice": "in_1", "client_reference_id": str(workspace_id), "metadata": {"workspace_id": str(workspace_id), "plan": "plus", "interval": "month", "seats": "1"}}
    assert deliver(browser, "checkout.session.completed", completed, "evt_1").json()["result"] == "processed"
    assert deliver(browser, "checkout.session.completed", completed, "evt_1").json()["result"] == "duplicate"
    assert browser.get("/api/usage").json()["plan"] == "plus"
    with database.session() as session:
        subscription = session.scalar(select(Subscription))
        assert (subscription.external_id, subscription.customer_id, subscription.gateway, subscription.status) == ("sub_1", "cus_1", "stripe", "active")
        assert session.scalar(select(Invoice)).status == "paid" and session.scalar(select(func.count()).select_from(Invoice)) == 1

    now = int(time.time())
    assert deliver(browser, "invoice.payment_failed", {"id": "in_2", "object": "invoice", "subscription": "sub_1"}, "evt_2", created=now + 5).status_code == 200
    with database.session() as session:
        assert session.scalar(select(Subscription.status)) == "past_due"
    renewal = {"id": "in_2", "object": "invoice", "subscription": "sub_1", "amount_paid": 2000, "currency": "usd", "number": "ST-2"}
    assert deliver(browser, "invoice.paid", renewal, "evt_3", created=now + 10).json()["result"] == "processed"
    assert deliver(browser, "invoice.paid", renewal, "evt_3b", created=now + 10).status_code == 200  # another event for the same invoice
    with database.session() as session:
        assert session.scalar(select(Subscription.status)) == "active"
        mirrored = session.scalar(select(Invoice).where(Invoice.external_id == "in_2"))
        assert (mirrored.total, mirrored.currency, mirrored.status) == (2000, "USD", "paid")
        assert session.scalar(select(func.count()).select_from(Invoice)) == 2

    update = {"id": "sub_1", "object": "subscription", "status": "active", "cancel_at_period_end": True,
              "items": {"data": [{"price": {"id": "price_team_m"}, "quantity": 2, "current_period_end": now + 30 * 86400}]}}
    assert deliver(browser, "customer.subscription.updated", update, "evt_4", created=now + 20).json()["result"] == "processed"
    stale = {**update, "cancel_at_period_end": False, "items": {"data": [{"price": {"id": "price_plus_m"}, "quantity": 1}]}}
    assert deliver(browser, "customer.subscription.updated", stale, "evt_0", created=now - 3600).json()["result"] == "ignored"  # out of order
    with database.session() as session:
        subscription = session.scalar(select(Subscription))
        assert (subscription.plan_code, subscription.seats, subscription.cancel_at_period_end) == ("team", 2, True)
    portal = browser.post("/api/subscription", json={"plan": "plus"}, headers=headers).json()
    assert portal["portal_url"] == "https://billing.stripe.test/p/session" and stripe_api.requests[-1][1]["customer"] == "cus_1"

    assert deliver(browser, "customer.subscription.deleted", {"id": "sub_1", "object": "subscription"}, "evt_5", created=now + 30).json()["result"] == "processed"
    assert deliver(browser, "invoice.payment_failed", {"id": "in_3", "object": "invoice", "subscription": "sub_1"}, "evt_6", created=now + 40).status_code == 200
    with database.session() as session:
        assert session.scalar(select(Subscription.status)) == "canceled"  # a late failure does not revive or move it
        assert session.scalar(select(func.count()).select_from(GatewayEvent)) == 8  # evt_1 (twice), 2, 3, 3b, 4, 0, 5, 6
    assert browser.get("/api/usage").json()["plan"] == "free"


def test_bad_or_old_signatures_are_refused_and_change_nothing(stripe_api, browser, database):
    payload = event("customer.subscription.deleted", {"id": "sub_9", "object": "subscription"}, event_id="evt_bad")
    for signature in ("", "t=1,v1=deadbeef", sign(payload, "whsec_wrong"), sign(payload, SECRET, at=int(time.time()) - 3600)):
        refused = post(browser, payload, signature)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_signature", signature
    tampered = payload.replace(b"sub_9", b"sub_8")
    assert post(browser, tampered, sign(payload, SECRET)).status_code == 400
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(GatewayEvent)) == 0
        assert session.scalar(select(func.count()).select_from(SubscriptionEvent)) == 0
    assert post(browser, payload, sign(payload, SECRET)).json()["result"] == "ignored"  # unknown subscription: acknowledged


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_invoice_events_find_their_subscription_in_either_api_versions_shape(stripe_api, browser, database, api_version):
    browser.signup()
    with database.session() as session:
        workspace_id = accounts.personal_workspace_id(session, accounts.user_by_email(session, "ada@example.com"))
    completed = {"id": "cs_test_1", "object": "checkout.session", "subscription": "sub_1", "customer": "cus_1", "payment_status": "paid",
                 "invoice": "in_1", "metadata": {"workspace_id": str(workspace_id), "plan": "plus", "interval": "month", "seats": "1"}}
    assert deliver(browser, "checkout.session.completed", completed, "evt_1", api_version=api_version).json()["result"] == "processed"

    now = int(time.time())
    failed = invoice("in_2", "sub_1", api_version=api_version)
    assert deliver(browser, "invoice.payment_failed", failed, "evt_2", created=now + 5, api_version=api_version).json()["result"] == "processed"
    with database.session() as session:
        assert session.scalar(select(Subscription.status)) == "past_due"
    paid = invoice("in_2", "sub_1", api_version=api_version, amount_paid=2000, currency="usd", number="ST-2")
    assert deliver(browser, "invoice.paid", paid, "evt_3", created=now + 10, api_version=api_version).json()["result"] == "processed"
    with database.session() as session:
        assert session.scalar(select(Subscription.status)) == "active"
        mirrored = session.scalar(select(Invoice).where(Invoice.external_id == "in_2"))
        assert (mirrored.total, mirrored.status) == (2000, "paid")
    one_off = invoice("in_3", None, api_version=api_version, amount_paid=500, currency="usd")  # not a subscription's: nothing to apply
    assert deliver(browser, "invoice.paid", one_off, "evt_4", created=now + 20, api_version=api_version).json()["result"] == "ignored"
