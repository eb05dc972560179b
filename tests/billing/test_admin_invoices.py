"""Offline billing's admin page: invoices waiting for payment, marked paid once."""

from __future__ import annotations

from sqlalchemy import select

from agora.accounts import service as accounts
from agora.billing.models import Invoice, SubscriptionEvent


def test_admins_mark_offline_invoices_paid_from_the_page_and_others_cannot(browser, make_browser, database):
    browser.signup()
    number = browser.post("/api/subscription", json={"plan": "plus"}, headers=browser.api_headers()).json()["invoice"]
    with database.session() as session:
        accounts.create_user(session, email="root@example.com", display_name="Root", password="a long admin password", role="admin")
    admin = make_browser()
    admin.login(email="root@example.com", password="a long admin password")

    waiting = admin.get("/admin/invoices").text
    assert f'href="/billing/invoices/{number}"' in waiting and "$20.00" in waiting and "Ada" in waiting  # Ada's personal workspace
    assert browser.get("/admin/invoices").status_code == 403
    assert browser.submit(f"/admin/invoices/{number}/paid", {}, form_page="/account").status_code == 403

    paid = admin.submit(f"/admin/invoices/{number}/paid", {}, form_page="/admin/invoices")
    assert paid.headers["location"] == f"/admin/invoices?paid={number}"
    assert admin.submit(f"/admin/invoices/{number}/paid", {}, form_page="/admin/invoices").status_code == 303  # twice: once
    assert f"Invoice {number} is paid." in admin.get(paid.headers["location"]).text
    assert number not in admin.get("/admin/invoices").text.split("</nav>", 1)[1]
    assert number in admin.get("/admin/invoices?status=paid").text
    assert admin.get("/admin/invoices?status=lost").status_code == 422
    with database.session() as session:
        assert session.scalar(select(Invoice.status).where(Invoice.number == number)) == "paid"
        assert len(list(session.scalars(select(SubscriptionEvent).where(SubscriptionEvent.kind == "payment_succeeded")))) == 1
