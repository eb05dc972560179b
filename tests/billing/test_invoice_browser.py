"""In real Chromium, desktop and phone: amounts follow the reader's language (Babel), and an open
invoice says who issued it, by when to pay and how (issue 20 item 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from agora.db import utcnow
from tests.browser.layout import assert_fits_the_screen
from tests.conftest import sign_up_in_chromium

pytestmark = pytest.mark.browser

WIDTHS = pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])


def _choose_plus(page, confirm: str) -> None:
    page.goto("/pricing")
    page.locator("#plan-plus").get_by_role("button").click()
    page.get_by_role("button", name=confirm).click()


@WIDTHS
def test_a_french_reader_sees_french_amounts_and_how_to_pay(page, server, no_trial, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_up_in_chromium(page)
    page.get_by_label("Language").select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.goto("/pricing")
    expect(page.locator("#plan-plus")).to_contain_text("20,00\u00a0$US")
    expect(page.locator("#plan-plus")).not_to_contain_text("$20.00")
    _choose_plus(page, "Confirmer : 20,00\u00a0$US par mois")
    page.goto("/billing")
    page.locator("a[href^='/billing/invoices/']").first.click()
    expect(page.locator("#invoice-total")).to_have_text("20,00\u00a0$US")
    pay_by = (utcnow() + timedelta(days=server.settings.billing_grace_days)).strftime("%Y-%m-%d")
    expect(page.locator("#invoice-status")).to_have_text(f"Ouverte : à payer avant le {pay_by}.")
    expect(page.get_by_role("heading", name="Comment payer")).to_be_visible()
    expect(page.get_by_text("Contactez l’exploitant de cet Agora pour payer")).to_be_visible()
    assert_fits_the_screen(page)


@pytest.fixture
def seller(server):
    before = server.app.state.settings
    server.app.state.settings = before.model_copy(update={
        "billing_seller": "Walrus Cloud SAS\n1 rue des Morses, Paris", "billing_payment_instructions": "IBAN FR76 1234 5678 9012"})
    yield
    server.app.state.settings = before


@WIDTHS
def test_an_open_invoice_names_the_seller_and_the_payment_instructions(page, no_trial, seller, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_up_in_chromium(page)
    _choose_plus(page, "Confirm: $20.00 per month")
    page.goto("/billing")
    page.locator("a[href^='/billing/invoices/']").first.click()
    expect(page.locator(".invoice-seller")).to_contain_text("Walrus Cloud SAS")
    expect(page.locator(".invoice-seller")).to_contain_text("1 rue des Morses, Paris")
    expect(page.locator("#invoice-status")).to_contain_text("Open: to be paid by")
    expect(page.get_by_text("IBAN FR76 1234 5678 9012")).to_be_visible()
    number = page.url.rsplit("/", 1)[1]
    expect(page.get_by_text(f"Quote the invoice number {number} with your payment.")).to_be_visible()
    assert_fits_the_screen(page)
