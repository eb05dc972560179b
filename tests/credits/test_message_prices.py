"""Per-message prices through the chat and /v1: shown first, paid by the allowance then credit, charged once per complete reply."""

from __future__ import annotations

from agora.ledger.verify import discrepancies
from tests.billing.conftest import send_status
from tests.conftest import flush_usage
from tests.credits.conftest import allowance, balance, entries, give_credit, holds, priced_gpt, put_on_plan, signed_up, user_id

MESSAGES = [{"role": "user", "content": "Hello"}]


def _whole(database) -> None:
    with database.session() as session:
        assert list(discrepancies(session)) == []


def test_a_builder_prices_a_gpt_within_the_bounds_and_everyone_sees_the_price(browser, make_browser, database):
    browser.signup(email="bea@example.com", name="Bea")
    headers = browser.api_headers()
    gpt_id = priced_gpt(database, None, owner_email="bea@example.com")
    assert browser.get(f"/api/gpts/{gpt_id}").json()["price_per_message"] is None
    for wrong in (-1, 0, 101, 2.5, "5", True, 10**30):
        refused = browser.put(f"/api/gpts/{gpt_id}/price", json={"price_per_message": wrong}, headers=headers)
        assert refused.status_code == 422, wrong
        error = refused.json()["error"]
        assert error["field"] == "price_per_message" and "from 1 to 100" in error["message"] and "$0.01 to $1.00" in error["message"]
    assert browser.put(f"/api/gpts/{gpt_id}/price", json={}, headers=headers).status_code == 422
    assert browser.get(f"/api/gpts/{gpt_id}").json()["price_per_message"] is None  # nothing half-written
    saved = browser.put(f"/api/gpts/{gpt_id}/price", json={"price_per_message": 5}, headers=headers)
    assert saved.status_code == 200 and saved.json() == {"id": gpt_id, "price_per_message": 5, "currency": "USD"}
    assert make_browser().get(f"/api/gpts/{gpt_id}").json()["price_per_message"] == 5  # the exact contract: minor units

    other = make_browser()
    other.signup(email="eve@example.com")
    assert other.put(f"/api/gpts/{gpt_id}/price", json={"price_per_message": 1}, headers=other.api_headers()).status_code == 403
    page = other.get(f"/g/{gpt_id}").text
    assert 'id="price-note"' in page and "costs $0.05 a message" in page
    assert "costs $0.05 a message; you use it free" in browser.get(f"/g/{gpt_id}").text

    form = browser.submit(f"/gpts/{gpt_id}/price", {"price": "-3"}, form_page=f"/gpts/{gpt_id}/price")
    assert form.status_code == 422 and 'aria-invalid="true"' in form.text and "from 1 to 100" in form.text
    assert browser.submit(f"/gpts/{gpt_id}/price", {"price": ""}, form_page=f"/gpts/{gpt_id}/price").status_code == 303
    assert browser.get(f"/api/gpts/{gpt_id}").json()["price_per_message"] is None
    assert "Price: free" in browser.get(f"/gpts/{gpt_id}/edit").text


def test_chat_pays_with_the_allowance_then_credit_charges_complete_replies_once_and_refuses_without_credit(
        upstream, no_trial, make_browser, database):
    gpt_id = priced_gpt(database, 5)
    client = signed_up(make_browser, "ada@example.com")
    put_on_plan(database, "ada@example.com", "plus")
    allowance(database, "plus", 1)
    give_credit(database, "ada@example.com", 7, "bank-1")
    ada, builder = user_id(database, "ada@example.com"), user_id(database, "builder@example.com")
    conversation = client.start(gpt_id)
    page = client.browser.get(f"/c/{conversation}").text
    assert "costs $0.05 a message. Your plan pays for 1 more this month; then your credit ($0.07) does." in page

    assert client.send(conversation, "one")[-1][1]["status"] == "complete"  # the plan's allowance
    assert entries(database, "message_allowance") == [{"platform_revenue:USD": -4250, f"builder:{builder}:USD": 4250}]
    upstream.next("status:500")
    assert client.send(conversation, "fails")[-1][1]["status"] == "failed"  # charges nothing
    assert client.send(conversation, "two")[-1][1]["status"] == "complete"  # from credit: 15 % commission under the yearly threshold
    assert entries(database, "message_charge") == [{f"user_credit:{ada}:USD": -5000, f"builder:{builder}:USD": 4250, "platform_commission:USD": 750}]
    assert balance(database, f"user_credit:{ada}:USD") == 2000
    assert holds(database) == [("allowance", "charged"), ("credit", "released"), ("credit", "charged")]

    requests = len(upstream.requests)
    status, body = send_status(client, conversation, "three")
    assert status == 402 and body["error"]["code"] == "credits_required" and body["error"]["buy_url"] == "/credits"
    assert "costs $0.05 a message and your credit is $0.02" in body["error"]["message"]
    assert len(upstream.requests) == requests and len(client.get(conversation)["messages"]) == 6  # nothing sent, nothing stored
    assert "is not enough" in client.browser.get(f"/c/{conversation}").text
    flush_usage(database)
    assert len(entries(database, "message_charge")) == 1
    _whole(database)


def test_the_builder_and_the_preview_never_pay(upstream, make_browser, database):
    bea = signed_up(make_browser, "bea@example.com")
    gpt_id = priced_gpt(database, 50, owner_email="bea@example.com")
    conversation = bea.start(gpt_id)
    assert bea.send(conversation, "mine")[-1][1]["status"] == "complete"
    flush_usage(database)
    assert entries(database, "message_charge") == entries(database, "message_allowance") == [] and holds(database) == []
