"""Money the billing side receives reaches the ledger: an invoice paid is one entry, however
often it is marked paid, from the admin page or by twenty retries at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from agora.accounts import service as accounts
from agora.ledger.models import LedgerAccount, LedgerEntry, LedgerLeg
from agora.ledger.verify import discrepancies


def test_an_invoice_paid_is_one_balanced_entry(browser, make_browser, database):
    browser.signup()
    number = browser.post("/api/subscription", json={"plan": "plus"}, headers=browser.api_headers()).json()["invoice"]
    with database.session() as session:
        assert session.scalar(select(LedgerEntry.id)) is None  # an open invoice is owed, not received
        accounts.create_user(session, email="root@example.com", display_name="Root", password="a long admin password", role="admin")
    admins = [make_browser() for _ in range(4)]
    for admin in admins:
        admin.login(email="root@example.com", password="a long admin password")
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda n: admins[n % 4].post(f"/api/admin/invoices/{number}/paid", headers=admins[n % 4].api_headers()),
                                range(20)))
    assert {answer.status_code for answer in answers} == {200}
    assert [answer.json()["changed"] for answer in answers].count(True) == 1
    with database.session() as session:
        entries = list(session.scalars(select(LedgerEntry)))
        assert [(entry.kind, entry.currency, entry.memo) for entry in entries] == [("subscription_paid", "USD", f"invoice {number} paid")]
        legs = dict(session.execute(select(LedgerAccount.code, LedgerLeg.amount).join(LedgerAccount, LedgerAccount.id == LedgerLeg.account_id)).all())
        assert legs == {"external:USD": -2_000_000, "platform_revenue:USD": 2_000_000}  # $20.00 in millis
        assert list(discrepancies(session)) == []
