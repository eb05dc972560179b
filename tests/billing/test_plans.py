"""Plans as data: the API, the pricing page, admin edits that cannot hold a bad price."""

from __future__ import annotations

from agora.accounts import service as accounts
from agora.billing import plans


def test_plans_api_lists_prices_in_minor_units_and_entitlements(browser):
    listed = {p["code"]: p for p in browser.get("/api/plans").json()}
    assert list(listed) == ["free", "plus", "team", "enterprise"]
    assert listed["plus"]["prices"] == [{"amount": 2000, "currency": "USD", "interval": "month", "per_seat": False}]
    team = {p["interval"]: p for p in listed["team"]["prices"]}
    assert (team["year"]["amount"], team["month"]["amount"], team["month"]["per_seat"]) == (30000, 3000, True)
    assert listed["team"]["min_seats"] == 2
    assert listed["enterprise"]["custom_price"] is True and listed["enterprise"]["entitlements"]["messages_per_window"] is None
    assert listed["free"]["entitlements"]["use_store_gpts"] is False and listed["free"]["entitlements"]["messages_per_window"] == 10
    assert [listed[c]["entitlements"]["messages_per_window"] for c in ("plus", "team")] == [80, 100]


def test_pricing_page_shows_plans_side_by_side(browser):
    page = browser.get("/pricing")
    assert page.status_code == 200
    for text in ("Free", "Plus", "$20.00", "Team", "$300.00", "$30.00", "At least 2 seats", "Enterprise", "Custom price, invoiced"):
        assert text in page.text
    french = browser.get("/pricing", headers={"Accept-Language": "fr"})
    assert "par mois" in french.text


def test_only_admins_edit_plans_and_prices_stay_whole_minor_units(browser, database):
    browser.signup()
    headers = browser.api_headers()
    assert browser.patch("/api/plans/plus", json={"name": "Plus+"}, headers=headers).json()["error"]["code"] == "forbidden"
    with database.session() as session:
        accounts.user_by_email(session, "ada@example.com").role = "admin"
    for bad in ([{"amount": 19.99, "currency": "USD", "interval": "month"}], [{"amount": -1, "currency": "USD", "interval": "month"}],
                [{"amount": "2000", "currency": "USD", "interval": "month"}], [{"amount": 2000, "currency": "usd", "interval": "month"}]):
        refused = browser.patch("/api/plans/plus", json={"prices": bad}, headers=headers)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "prices", bad
    assert browser.patch("/api/plans/plus", json={"entitlements": {"messages_per_window": -5}}, headers=headers).status_code == 422
    assert browser.patch("/api/plans/gold", json={"name": "Gold"}, headers=headers).status_code == 404
    edited = browser.patch("/api/plans/free", json={"entitlements": {"use_store_gpts": True}, "prices": [{"amount": 0, "currency": "EUR", "interval": "month"}]}, headers=headers)
    assert edited.status_code == 200 and edited.json()["entitlements"]["use_store_gpts"] is True
    with database.session() as session:
        plans.ensure_default_plans(session)  # runs on every migrate: never undoes an admin's edit
    assert browser.get("/api/plans").json()[0]["prices"][0]["currency"] == "EUR"
