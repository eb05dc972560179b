"""A builder sees what each GPT earned from a month's pool and why, as a page and as JSON;
nobody else's earnings, and nothing before a month is run."""

from __future__ import annotations

from sqlalchemy import select

from agora.db import Database
from agora.payouts.models import PoolMonth, PoolShare
from agora.payouts.run import run_month
from tests.payouts.test_pool import RULES, _month, _paid_invoice, _world


def test_a_builder_sees_each_gpt_s_share_and_the_pool_it_came_from(browser, make_browser, database: Database):
    assert browser.signup(email="builder0@example.com", name="Bea").status_code == 303
    assert browser.get("/api/builders/me/earnings").json() == {
        "unit": "millis: thousandths of the currency's minor unit (1 cent = 1,000)", "balances": [], "months": []}
    assert "Nothing yet" in browser.get("/builders/me/earnings").text
    month, _start, end = _month()
    _world(database, 1)
    _paid_invoice(database, "payer@example.com", 2000)
    with database.session() as session:
        run_month(session, month, RULES, now=end)
        mine = list(session.scalars(select(PoolShare).where(PoolShare.month == month)))
        pool = session.get(PoolMonth, (month, "USD"))
    shown = browser.get("/api/builders/me/earnings").json()
    bea = [share for share in mine if share.builder_id == shown_builder(database)]
    assert bea, "builder0 should have eligible GPTs in world 1"
    [earned] = shown["months"]
    assert earned["month"] == month and earned["pool"] == pool.allocated == 400_000 and earned["pool_units"] == pool.units
    assert {g["gpt_id"]: g["total"] for g in earned["by_gpt"]} == {s.gpt_id: s.amount for s in bea}
    assert earned["earnings"]["total"] == sum(s.amount for s in bea) == earned["earnings"]["by_source"]["pool"]
    assert shown["balances"] == [{"currency": "USD", "amount": sum(s.amount for s in bea)}]
    page = browser.get("/builders/me/earnings").text
    for share in bea:
        assert f'href="/g/{share.gpt_id}"' in page
    assert f"{month} · $" in page and "conversation-days" in page

    other = make_browser()
    other.signup(email="nobody@example.com")
    assert other.get("/api/builders/me/earnings").json()["months"] == []
    assert make_browser().get("/api/builders/me/earnings").status_code == 401


def shown_builder(database: Database) -> int:
    from agora.accounts import service as accounts

    with database.session() as session:
        return accounts.user_by_email(session, "builder0@example.com").id


def test_the_month_s_statement_in_csv_and_pdf_says_the_same(browser, database: Database):
    import csv
    import io

    from pypdf import PdfReader

    assert browser.signup(email="builder0@example.com", name="Bea <Builder>").status_code == 303
    month, _start, end = _month()
    _world(database, 1)
    _paid_invoice(database, "payer@example.com", 2000)
    with database.session() as session:
        run_month(session, month, RULES, now=end)
    base = f"/api/builders/me/statements/{month}"
    as_json = browser.get(base).json()
    assert as_json["month"] == month and as_json["by_gpt"]
    rows = list(csv.DictReader(io.StringIO(browser.get(base, params={"format": "csv"}).text)))
    per_gpt = {row["gpt_id"]: int(row["amount_millis"]) for row in rows if row["gpt_id"]}
    assert per_gpt == {g["gpt_id"]: g["total"] for g in as_json["by_gpt"]}
    assert [row["gpt"] for row in rows if not row["gpt_id"]] == ["Earnings", "Commission", "Adjustments", "Payout"]
    pdf = browser.get(base, params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="agora-statement-{month}-USD.pdf"'
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"Statement for {month} (USD)" in text and "Bea <Builder>" in text
    for gpt in as_json["by_gpt"]:
        assert gpt["name"] in text
    total = next(row["amount"] for row in rows if row["gpt"] == "Earnings")
    assert total in text
    assert browser.get("/api/builders/me/statements/2020-01").status_code == 404
    refused = browser.get("/api/builders/me/statements/2026-13")
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "month"
    assert browser.get(base, params={"format": "docx"}).status_code == 422


def test_an_administrator_previews_and_allocates_a_month_from_the_page(browser, make_browser, database: Database):
    from agora.accounts import service as accounts

    with database.session() as session:
        accounts.create_user(session, email="root@example.com", display_name="Root", password="a long admin password", role="admin")
    admin = make_browser()
    admin.login(email="root@example.com", password="a long admin password")
    month, _start, _end = _month()
    _world(database, 1)
    _paid_invoice(database, "payer@example.com", 2000)
    assert browser.signup(email="someone@example.com").status_code == 303
    assert browser.get("/admin/payouts").status_code == 403
    preview = admin.get("/admin/payouts", params={"preview": month})
    assert preview.status_code == 200 and "pool $4.00" in preview.text and "No month has been allocated yet." in preview.text
    early = admin.submit("/admin/payouts/run", {"month": month}, form_page="/admin/payouts")
    assert early.status_code == 422 and "is not over" in early.text  # the current month: allocated from the 1st of the next
    assert admin.submit("/admin/payouts/run", {"month": "11/2026"}, form_page="/admin/payouts").status_code == 422
    with database.session() as session:
        assert session.scalar(select(PoolMonth.month)) is None
    last = "2020-01"  # a month that is over, with no paid invoices: recorded as nothing to allocate
    done = admin.submit("/admin/payouts/run", {"month": last}, form_page="/admin/payouts")
    assert done.status_code == 303 and done.headers["location"] == f"/admin/payouts?ran={last}"
    assert "2020-01 is allocated" in admin.get(done.headers["location"]).text
