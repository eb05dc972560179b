"""Credit bought through Stripe Checkout (the local stand-in) or recorded offline: credited once, however often it is replayed."""

from __future__ import annotations

import os
import subprocess

from tests.billing.conftest import deliver
from tests.credits.conftest import balance, entries, user_id
from tests.test_cli import AGORA


def _completed(session_id: str, uid: int, amount: int = 1000, status: str = "paid") -> dict:
    return {"id": session_id, "object": "checkout.session", "mode": "payment", "payment_status": status, "amount_total": amount,
            "currency": "usd", "metadata": {"credits_user_id": str(uid)}}


def test_credit_bought_through_stripe_is_credited_once(stripe_api, browser, database):
    browser.signup()
    headers = browser.api_headers()
    assert browser.post("/api/me/credits/checkout", json={"amount": 700}, headers=headers).json()["error"]["field"] == "amount"
    assert browser.post("/api/me/credits/checkout", json={"amount": "1000"}, headers=headers).status_code == 422
    answer = browser.post("/api/me/credits/checkout", json={"amount": 1000}, headers=headers)
    assert answer.status_code == 200 and answer.json()["checkout_url"].startswith("https://checkout.stripe.test/")
    path, form = stripe_api.requests[-1]
    ada = user_id(database, "ada@example.com")
    assert path == "/v1/checkout/sessions" and form["mode"] == "payment" and form["metadata[credits_user_id]"] == str(ada)
    assert form["line_items[0][price_data][unit_amount]"] == "1000" and form["line_items[0][price_data][currency]"] == "usd"
    assert balance(database, f"user_credit:{ada}:USD") == 0  # nothing until Stripe says it is paid

    assert deliver(browser, "checkout.session.completed", _completed("cs_c1", ada, status="unpaid"), "evt_c0").json()["result"] == "ignored"
    assert deliver(browser, "checkout.session.completed", _completed("cs_c1", ada), "evt_c1").json()["result"] == "processed"
    assert deliver(browser, "checkout.session.completed", _completed("cs_c1", ada), "evt_c1").json()["result"] == "duplicate"
    # Another event about the same payment (the asynchronous method's, say): the same credit, not a second one.
    assert deliver(browser, "checkout.session.async_payment_succeeded", _completed("cs_c1", ada), "evt_c2").json()["result"] == "duplicate"
    assert balance(database, f"user_credit:{ada}:USD") == 1_000_000
    assert entries(database, "credit_purchase") == [{"external:USD": -1_000_000, f"user_credit:{ada}:USD": 1_000_000}]
    bad = deliver(browser, "checkout.session.completed", {**_completed("cs_c2", ada), "amount_total": -5}, "evt_c3")
    assert bad.status_code == 422 and balance(database, f"user_credit:{ada}:USD") == 1_000_000
    page = browser.get("/credits").text
    assert "Your credit: $10.00." in page and "Credit bought" in page
    assert browser.get("/api/me/credits").json()["balance"] == 1_000_000


def _agora(server, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_HOME=str(server.settings.home), AGORA_DATABASE_URL=server.settings.resolved_database_url(),
               AGORA_SECRET_KEY=server.settings.secret_key)
    return subprocess.run([AGORA, *args], check=False, capture_output=True, text=True, env=env, timeout=120)


def test_offline_credit_is_recorded_once_by_reference_and_not_sold_online(server, browser, database):
    browser.signup()
    headers = browser.api_headers()
    refused = browser.post("/api/me/credits/checkout", json={"amount": 500}, headers=headers)
    assert refused.status_code == 422 and "not sold online" in refused.json()["error"]["message"]
    assert "not sold online" in browser.get("/credits").text
    first = _agora(server, "credits", "add", "ada@example.com", "2500", "--reference", "BANK-42")
    assert first.returncode == 0 and "$25.00 of credit for ada@example.com (BANK-42): recorded." in first.stdout
    again = _agora(server, "credits", "add", "ada@example.com", "2500", "--reference", "BANK-42")
    assert again.returncode == 0 and "already recorded; nothing changed" in again.stdout
    other = _agora(server, "credits", "add", "ada@example.com", "900", "--reference", "BANK-42")
    assert other.returncode == 1 and "already posted a different entry" in other.stderr
    negative = _agora(server, "credits", "add", "--reference", "Y", "--", "ada@example.com", "-5")
    assert negative.returncode == 1 and "whole number of minor units from 1" in negative.stderr
    assert balance(database, f"user_credit:{user_id(database, 'ada@example.com')}:USD") == 2_500_000
