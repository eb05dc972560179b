"""The pricing page: plans side by side, and choosing, changing or cancelling one without JavaScript."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from agora.billing.models import Invoice, Subscription
from tests.billing.conftest import put_on_plan, signed_up


def _form_key(html: str, plan: str) -> str:
    return re.search(rf'name="idempotency_key" value="([^"]+-{plan})"', html).group(1)


def _choose(client, plan: str, **fields):
    page = client.browser.get("/pricing").text
    data = {"action": "choose", "plan": plan, "interval": "month", "idempotency_key": _form_key(page, plan), **fields}
    return client.browser.submit("/pricing", data, form_page="/pricing"), data


def _invoices(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Invoice))


def test_visitors_see_every_plan_side_by_side_with_sign_up_buttons(browser):
    page = browser.get("/pricing").text
    assert page.count('class="plan-card') == 4 and 'class="plan-grid"' in page
    assert "$25.00</strong>\n          per seat per month, billed yearly ($300.00)" in page and "$30.00" in page
    assert "100,000 tokens per minute" in page and "Ask your Agora operator" not in page  # visitors sign up first
    assert page.count('href="/signup"') >= 3


def test_a_trial_user_subscribes_once_however_often_the_form_is_sent_then_cancels(upstream, database, make_browser):
    ada = signed_up(make_browser, "ada@example.com")
    page = ada.browser.get("/pricing").text
    assert "You are trying Plus until" in page and "Choose Plus" in page

    chosen, form = _choose(ada, "plus")
    assert chosen.status_code == 303 and chosen.headers["location"].startswith("/pricing?notice=changed&invoice=")
    again = ada.browser.submit("/pricing", form, form_page="/pricing")  # the same form, sent again
    assert again.status_code == 303 and again.headers["location"] == chosen.headers["location"]  # the first answer, not a second change
    assert _invoices(database) == 1
    after = ada.browser.get(chosen.headers["location"]).text
    number = chosen.headers["location"].rsplit("=", 1)[1]
    assert "Your plan is updated." in after and f'href="/billing/invoices/{number}"' in after
    assert "You are on Plus." in after and "It renews on" in after and "Your plan" in after

    switched, _form = _choose(ada, "team", seats="1")
    assert switched.status_code == 422 and "at least 2 seats" in switched.text  # said on the page, nothing changed
    switched, _form = _choose(ada, "team", seats="2")
    assert switched.status_code == 303 and "invoice=" in switched.headers["location"]  # prorated
    with database.session() as session:
        assert (session.scalar(select(Subscription.plan_code)), session.scalar(select(Subscription.seats))) == ("team", 2)

    page = ada.browser.get("/pricing").text
    cancelled = ada.browser.submit("/pricing", {"action": "cancel"}, form_page="/pricing")
    assert "Go back to Free at the end of the period" in page and cancelled.headers["location"] == "/pricing?notice=canceled"
    page = ada.browser.get("/pricing?notice=canceled").text
    assert "It ends on" in page and "Go back to Free" not in page


def test_members_of_a_team_see_the_plans_but_cannot_change_them(no_trial, database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team = owner.browser.post("/api/workspaces", json={"name": "Walrus Inc"}, headers=owner.headers).json()["id"]
    put_on_plan(database, "owner@example.com", "team", seats=3)
    invite = owner.browser.post(f"/api/workspaces/{team}/invites", json={"email": "bo@example.com"}, headers=owner.headers)
    bo = signed_up(make_browser, "bo@example.com")
    bo.browser.post(f"/api/invites/{invite.json()['url'].rsplit('/', 1)[1]}/accept", headers=bo.headers)

    page = bo.browser.get("/pricing").text
    assert "Plans here are for the workspace Walrus Inc." in page and "Only the owner and admins" in page
    assert 'name="action" value="choose"' not in page
    refused = bo.browser.submit("/pricing", {"action": "choose", "plan": "plus", "interval": "month"}, form_page="/pricing")
    assert refused.status_code == 403 and "Only the owner and admins" in refused.text
    assert "Choose Plus" in owner.browser.get("/pricing").text  # its owner can


def test_with_stripe_the_button_leads_to_checkout(stripe_api, browser, database):
    browser.signup()
    page = browser.get("/pricing").text
    chosen = browser.submit("/pricing", {"action": "choose", "plan": "plus", "interval": "month",
                                         "idempotency_key": _form_key(page, "plus")}, form_page="/pricing")
    assert chosen.status_code == 303 and chosen.headers["location"].startswith("https://checkout.stripe.test/")
    with database.session() as session:
        assert session.scalar(select(Subscription)) is None  # Stripe's webhook starts it
