"""In real Chromium, desktop and phone: a plan change asks first, naming the plan and the amount
in the reader's locale; Cancel changes nothing (issue 20 items 7 and 10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from agora.billing.models import Invoice, Subscription
from tests.browser.layout import assert_fits_the_screen
from tests.conftest import sign_up_in_chromium

pytestmark = pytest.mark.browser


def _count(database, table) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(table))


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_choosing_a_plan_names_the_amount_and_cancel_bills_nothing(page, database, no_trial, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_up_in_chromium(page)
    page.goto("/pricing")
    page.get_by_role("button", name="Choose Plus").click()
    expect(page.get_by_role("heading", name="Choose Plus for $20.00 per month?")).to_be_visible()
    assert_fits_the_screen(page)
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Plans and pricing")).to_be_visible()
    assert _count(database, Subscription) == 0 and _count(database, Invoice) == 0

    page.get_by_role("button", name="Choose Plus").click()
    page.get_by_role("button", name="Confirm: $20.00 per month").click()
    expect(page.get_by_text("Your plan is updated.")).to_be_visible()
    assert _count(database, Subscription) == 1


def test_a_per_seat_plan_names_the_total_for_the_seats_in_french(page, database, no_trial):
    sign_up_in_chromium(page)
    page.get_by_label("Language").select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.goto("/pricing")
    plan = page.locator("#plan-team")
    plan.get_by_label("Facturation").select_option("year")
    plan.get_by_label("Places").fill("3")
    plan.get_by_role("button", name="Choisir Team").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("900,00\u00a0$US")
    expect(page.get_by_role("heading", level=1)).to_contain_text("3 places à 300,00\u00a0$US")
    page.get_by_role("link", name="Annuler").click()
    assert _count(database, Subscription) == 0


def test_asking_with_a_bad_seat_count_names_the_field(page, no_trial):
    sign_up_in_chromium(page)
    response = page.goto("/pricing/confirm?action=choose&plan=team&interval=year&seats=many")
    assert response.status == 422
    expect(page.get_by_role("alert")).to_contain_text("seats")
