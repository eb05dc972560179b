"""Malformed billing input gets a 4xx naming the field, and nothing is written: no 500, no half-made change."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.billing.models import GatewayEvent, Invoice, Plan, Subscription, SubscriptionEvent
from tests.billing.conftest import SECRET, deliver, post, put_on_plan
from tests.billing.stripe_standin import sign


def counts(database) -> tuple[int, ...]:
    with database.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(table)) for table in (GatewayEvent, SubscriptionEvent, Invoice, Subscription))


def test_cancelling_a_plan_the_operator_set_is_a_409_naming_the_plan(browser, database, no_trial):
    browser.signup()
    put_on_plan(database, "ada@example.com", "plus")  # no period end: the operator manages it
    before = counts(database)
    for at_period_end in ("true", "false"):
        refused = browser.post(f"/api/subscription/cancel?at_period_end={at_period_end}", headers=browser.api_headers())
        assert refused.status_code == 409 and refused.json()["error"]["field"] == "plan", refused.text
        assert refused.json()["error"]["code"] == "operator_managed"
    assert counts(database) == before
    assert browser.get("/api/usage").json()["plan"] == "plus"


def test_signed_stripe_events_with_missing_or_wrong_fields_are_refused_naming_the_field(stripe_api, browser, database):
    browser.signup()
    with database.session() as session:
        workspace_id = accounts.personal_workspace_id(session, accounts.user_by_email(session, "ada@example.com"))
    checkout = {"id": "cs_1", "object": "checkout.session", "subscription": "sub_1", "customer": "cus_1", "payment_status": "paid",
                "client_reference_id": str(workspace_id), "metadata": {"workspace_id": str(workspace_id), "plan": "plus", "interval": "month", "seats": "1"}}
    subscription_update = {"id": "sub_1", "object": "subscription", "status": "active", "items": {"data": [{"price": {"id": "price_plus_m"}, "quantity": 1}]}}
    bad_objects = [
        ("checkout.session.completed", {**checkout, "metadata": {"workspace_id": str(workspace_id)}}, "data.object.metadata.plan"),
        ("checkout.session.completed", {**checkout, "metadata": {**checkout["metadata"], "seats": "many"}}, "data.object.metadata.seats"),
        ("checkout.session.completed", {**checkout, "metadata": {**checkout["metadata"], "seats": "9" * 20}}, "data.object.metadata.seats"),
        ("checkout.session.completed", {**checkout, "subscription": {"id": "sub_1"}}, "data.object.subscription"),
        ("customer.subscription.updated", {k: v for k, v in subscription_update.items() if k != "id"}, "data.object.id"),
        ("customer.subscription.deleted", {"object": "subscription"}, "data.object.id"),
    ]
    for n, (kind, obj, field) in enumerate(bad_objects):
        refused = deliver(browser, kind, obj, f"evt_bad_{n}")
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field, (kind, refused.text)
    envelopes = [
        ({"id": "evt_x", "type": "invoice.paid", "data": {"object": {}}}, "created"),
        ({"id": "evt_x", "type": "invoice.paid", "created": "yesterday", "data": {"object": {}}}, "created"),
        ({"id": "evt_x", "type": "invoice.paid", "created": 10**30, "data": {"object": {}}}, "created"),
        ({"id": "e" * 500, "type": "invoice.paid", "created": 1, "data": {"object": {}}}, "id"),
        ({"id": "evt_x", "created": 1, "data": {"object": {}}}, "type"),
        ({"id": "evt_x", "type": "invoice.paid", "created": 1}, "data"),
        ({"id": "evt_x", "type": "invoice.paid", "created": 1, "data": {"object": "in_1"}}, "data.object"),
    ]
    for envelope, field in envelopes:
        payload = json.dumps(envelope).encode()
        refused = post(browser, payload, sign(payload, SECRET))
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field, (envelope, refused.text)
    assert counts(database) == (0, 0, 0, 0)  # not even the event ids: Stripe's retry of a fixed event is applied

    assert deliver(browser, "checkout.session.completed", checkout, "evt_ok").json()["result"] == "processed"
    before = counts(database)
    bad_for_a_known_subscription = [
        ("invoice.paid", {"id": "in_2", "object": "invoice", "subscription": "sub_1", "currency": "usd"}, "data.object.amount_paid"),
        ("invoice.paid", {"id": "in_2", "object": "invoice", "subscription": "sub_1", "amount_paid": 10**30, "currency": "usd"}, "data.object.amount_paid"),
        ("invoice.paid", {"id": "in_2", "object": "invoice", "subscription": "sub_1", "amount_paid": 2000, "currency": 5}, "data.object.currency"),
        ("invoice.paid", {"object": "invoice", "subscription": "sub_1", "amount_paid": 2000, "currency": "usd"}, "data.object.id"),
        ("customer.subscription.updated", {**subscription_update, "items": {"data": [{"quantity": 10**12}]}}, "data.object.items.data.0.quantity"),
        ("customer.subscription.updated", {**subscription_update, "current_period_end": "soon"}, "data.object.current_period_end"),
        ("customer.subscription.updated", {**subscription_update, "cancel_at_period_end": "perhaps"}, "data.object.cancel_at_period_end"),
    ]
    for n, (kind, obj, field) in enumerate(bad_for_a_known_subscription):
        refused = deliver(browser, kind, obj, f"evt_known_{n}")
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field, (kind, refused.text)
    assert counts(database) == before


def test_plan_prices_and_seats_beyond_the_bounds_are_refused_and_subscribing_still_works(browser, database, no_trial):
    browser.signup()
    headers = browser.api_headers()
    with database.session() as session:
        accounts.user_by_email(session, "ada@example.com").role = "admin"
    with database.session() as session:
        before = {plan.code: (plan.prices, plan.min_seats, plan.entitlements) for plan in session.scalars(select(Plan))}
    for edit, field in (
        ({"prices": [{"amount": 10**30, "currency": "USD", "interval": "month"}]}, "prices"),
        ({"prices": [{"amount": 100_000_001, "currency": "USD", "interval": "month"}]}, "prices"),
        ({"min_seats": 10**12}, "min_seats"),
        ({"min_seats": 10_001}, "min_seats"),
        ({"entitlements": {"api_tokens_per_minute": 10**30}}, "entitlements"),
        ({"entitlements": {"api_input_price_per_million": 10**12}}, "entitlements"),
    ):
        refused = browser.patch("/api/plans/team", json=edit, headers=headers)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field, (edit, refused.text)
    with database.session() as session:
        assert {plan.code: (plan.prices, plan.min_seats, plan.entitlements) for plan in session.scalars(select(Plan))} == before

    at_the_bounds = browser.patch("/api/plans/team", json={"prices": [{"amount": 100_000_000, "currency": "USD", "interval": "month", "per_seat": True}]},
                                  headers=headers)
    assert at_the_bounds.status_code == 200
    biggest = browser.post("/api/subscription", json={"plan": "team", "seats": 10_000}, headers=headers)
    assert biggest.status_code == 200, biggest.text  # 10^12 minor units on one invoice: it fits the columns on both databases
    with database.session() as session:
        assert session.scalar(select(Invoice.total)) == 100_000_000 * 10_000

    form = browser.csrf("/pricing")
    for seats in ("9" * 20, "10001"):
        refused = browser.post("/pricing", data={"plan": "plus", "seats": seats, "csrf_token": form})
        assert refused.status_code == 422 and "from 1 to 10000" in refused.text, seats
