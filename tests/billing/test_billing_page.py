"""/billing: the plan of the workspace one works in, its invoices, and Stripe's portal for Stripe subscriptions."""

from __future__ import annotations

import re

from agora.accounts import service as accounts
from tests.billing.conftest import put_on_plan
from tests.billing.conftest import deliver


def test_a_subscriber_sees_plan_period_and_invoices_and_only_their_own(browser, make_browser, database):
    signed_out = browser.get("/billing")
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login?next=/billing"
    browser.signup()
    trial = browser.get("/billing").text
    assert "Plan and billing" in trial and "Until " in trial and "No invoices yet." in trial  # the sign-up trial

    headers = browser.api_headers()
    number = browser.post("/api/subscription", json={"plan": "plus"}, headers=headers).json()["invoice"]
    page = browser.get("/billing").text
    assert "<dd>Plus</dd>" in page and "Renews" in page and "Monthly" in page
    row = re.search(rf'<a href="/billing/invoices/{number}">{number}</a>.*?</tr>', page, re.S).group(0)
    assert "Waiting for payment" in row and "$20.00" in row
    assert "Manage payment in Stripe" not in page  # offline: nothing to manage elsewhere

    refused = browser.submit("/billing/portal", {}, form_page="/billing")
    assert refused.status_code == 404 and "not billed through Stripe" in refused.text

    with database.session() as session:
        accounts.user_by_email(session, "ada@example.com").role = "admin"
    assert browser.post(f"/api/admin/invoices/{number}/paid", headers=headers).status_code == 200
    paid = browser.get("/billing").text
    assert "Paid on " in re.search(rf'{number}</a>.*?</tr>', paid, re.S).group(0)

    browser.post("/api/subscription/cancel", headers=headers)
    assert "Ends" in browser.get("/billing").text  # cancelled at the period's end

    stranger = make_browser()
    stranger.signup(email="eve@example.com", name="Eve")
    theirs = stranger.get("/billing").text
    assert number not in theirs and "No invoices yet." in theirs

    put_on_plan(database, "eve@example.com", "enterprise")  # the way an operator does, with no billing period
    assert "<dd>Enterprise</dd>" in stranger.get("/billing").text and "Set by your Agora operator" in stranger.get("/billing").text


def test_a_stripe_subscriber_is_sent_to_the_customer_portal(stripe_api, browser):
    browser.signup()
    with_stripe = browser.get("/billing").text
    assert "Manage payment in Stripe" not in with_stripe  # no Stripe subscription yet

    workspace_id = str(next(w["id"] for w in browser.get("/api/workspaces").json() if w["active"]))  # as Checkout's metadata carries it
    completed = {"id": "cs_test_9", "object": "checkout.session", "subscription": "sub_9", "customer": "cus_9", "payment_status": "paid",
                 "invoice": "in_9", "client_reference_id": workspace_id,
                 "metadata": {"workspace_id": workspace_id, "plan": "plus", "interval": "month", "seats": "1"}}
    assert deliver(browser, "checkout.session.completed", completed, "evt_9").status_code == 200

    page = browser.get("/billing").text
    assert "<dd>Plus</dd>" in page and "Manage payment in Stripe" in page
    portal = browser.submit("/billing/portal", {}, form_page="/billing")
    assert portal.status_code == 303 and portal.headers["location"] == "https://billing.stripe.test/p/session"
    path, form = stripe_api.requests[-1]
    assert path == "/v1/billing_portal/sessions" and form["customer"] == "cus_9" and form["return_url"].endswith("/billing")
