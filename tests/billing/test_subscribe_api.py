"""Subscribing through the JSON API with the offline gateway, invoices and their printable page."""

from __future__ import annotations

from agora.accounts import service as accounts


def test_subscribe_change_invoice_and_mark_paid_offline(browser, make_browser, database):
    browser.signup()
    headers = browser.api_headers()
    started = browser.post("/api/subscription", json={"plan": "plus"}, headers=headers)
    assert started.status_code == 200, started.text
    body = started.json()
    assert (body["plan"], body["status"]) == ("plus", "active") and "checkout_url" not in body  # offline: billed at once
    number = body["invoice"]
    page = browser.get(f"/billing/invoices/{number}")
    assert page.status_code == 200 and "$20.00" in page.text and number in page.text

    for bad in ({"plan": "plus", "seats": -1}, {"plan": "plus", "seats": 1.5}, {"plan": "plus", "interval": "week"}):
        assert browser.post("/api/subscription", json=bad, headers=headers).status_code == 422, bad
    assert browser.post("/api/subscription", json={"plan": "gold"}, headers=headers).status_code == 404

    upgraded = browser.post("/api/subscription", json={"plan": "team", "seats": 2}, headers={**headers, "Idempotency-Key": "up-1"})
    assert upgraded.status_code == 200 and upgraded.json()["plan"] == "team"
    again = browser.post("/api/subscription", json={"plan": "team", "seats": 2}, headers={**headers, "Idempotency-Key": "up-1"})
    assert again.json() == upgraded.json()  # the retried request had its effect once, and is answered as the first was
    reused = browser.post("/api/subscription", json={"plan": "team", "seats": 3}, headers={**headers, "Idempotency-Key": "up-1"})
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    too_long = browser.post("/api/subscription", json={"plan": "team", "seats": 3}, headers={**headers, "Idempotency-Key": "k" * 101})
    assert too_long.status_code == 422 and too_long.json()["error"]["field"] == "Idempotency-Key"
    proration = browser.get(f"/billing/invoices/{upgraded.json()['invoice']}").text
    assert "Unused time on Plus" in proration and "Remaining time on Team" in proration

    stranger = make_browser()
    stranger.signup(email="eve@example.com")
    assert stranger.get(f"/billing/invoices/{number}").status_code == 404
    stranger_headers = stranger.api_headers()
    assert stranger.post(f"/api/admin/invoices/{number}/paid", headers=stranger_headers).status_code == 403
    with database.session() as session:
        accounts.user_by_email(session, "eve@example.com").role = "admin"
    assert stranger.post(f"/api/admin/invoices/{number}/paid", headers=stranger_headers).json() == {"number": number, "status": "paid", "changed": True}
    assert stranger.post(f"/api/admin/invoices/{number}/paid", headers=stranger_headers).json()["changed"] is False

    cancelled = browser.post("/api/subscription/cancel", headers=headers).json()
    assert cancelled["cancel_at_period_end"] is True and cancelled["status"] == "active"
