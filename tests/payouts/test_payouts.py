"""Paying builders: the minimum carried forward, details and tax information required, Stripe Connect transfers keyed by the
payout's id, bank payouts from the CSV, failures returning the money; a run killed with kill -9 and restarted pays once."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import timedelta

from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.billing.models import GatewayEvent
from agora.ledger import service as ledger
from agora.ledger.models import LedgerAccount, LedgerEntry
from agora.ledger.verify import discrepancies
from agora.metering.export import month_bounds
from agora.payouts import transfers
from agora.payouts.models import Payout, PayoutProfile, PayoutSkip
from tests.billing.conftest import deliver
from tests.billing.stripe_standin import StripeStandIn
from tests.chat.conftest import eventually
from tests.test_cli import AGORA

MONTH = "2026-10"
_START, END = month_bounds(MONTH)


def builder(database, email: str, dollars_and_cents: int, *, method: str | None = "stripe", account: str = "acct_1Nv0FGQ9RKHgCVdK") -> int:
    """A builder who earned `dollars_and_cents` (cents) in the month, with payout details (`method`) or none."""
    with database.session() as session:
        user = accounts.create_user(session, email=email, display_name=email.split("@")[0], password=None)
        session.flush()
        if method is not None:
            bank = method == "bank"
            session.add(PayoutProfile(user_id=user.id, method=method, stripe_account="" if bank else account, bank_holder="Bea Builder" if bank else "",
                                      bank_iban="FR1420041010050500013M02606" if bank else "", bank_bic="", legal_name="Bea Builder", country="FR",
                                      tax_id="FR12345678901"))
        millis = ledger.to_millis(dollars_and_cents)
        ledger.post(session, kind="pool_allocation", key=f"test:{email}", currency="USD", occurred_at=END - timedelta(days=1),
                    legs=[(ledger.account(session, ledger.REVENUE_POOL, "USD"), -millis),
                          (ledger.account(session, ledger.BUILDER, "USD", owner_id=user.id), millis)])
        return user.id


def kinds(database) -> dict[str, int]:
    with database.session() as session:
        return dict(session.execute(select(LedgerEntry.kind, func.count()).group_by(LedgerEntry.kind)).all())


def balance(database, code: str) -> int:
    with database.session() as session:
        return session.scalar(select(LedgerAccount.balance).where(LedgerAccount.code == code)) or 0


def _env(server, standin: StripeStandIn) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_HOME=str(server.settings.home), AGORA_DATABASE_URL=server.settings.resolved_database_url(),
               AGORA_SECRET_KEY=server.settings.secret_key, AGORA_BILLING_GATEWAY="stripe", AGORA_STRIPE_API_KEY="sk_test_123",
               AGORA_STRIPE_API_BASE=standin.base_url, AGORA_PAYOUT_HOLD_DAYS="0")
    return env


def test_a_run_killed_midway_and_restarted_pays_each_builder_once(server, database):
    standin = StripeStandIn()
    try:
        ids = [builder(database, f"b{n}@example.com", 3000 + 1000 * n) for n in range(3)]
        nobody = builder(database, "notax@example.com", 9000, method=None)
        small = builder(database, "small@example.com", 2499)
        standin.hold_transfer_number = 2  # the second transfer waits: the run is killed while it does
        run = subprocess.Popen([AGORA, "payouts", "run", "--month", MONTH], env=_env(server, standin), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        try:
            assert eventually(standin.held.is_set, within=120), run.stderr.read() if run.poll() is not None else "no second transfer"
            os.kill(run.pid, signal.SIGKILL)
        finally:
            run.wait(timeout=60)
            standin.release.set()
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(Payout).where(Payout.status == "paid")) == 1  # the first one, sent
        again = subprocess.run([AGORA, "payouts", "run", "--month", MONTH], env=_env(server, standin), capture_output=True, text=True,
                               timeout=300, check=False)
        assert again.returncode == 0, again.stderr
        with database.session() as session:
            payouts = {p.builder_id: p for p in session.scalars(select(Payout))}
            skips = {s.builder_id: s.reason for s in session.scalars(select(PayoutSkip))}
            assert list(discrepancies(session)) == []
        assert sorted(payouts) == ids and all(p.status == "paid" for p in payouts.values())
        assert [payouts[i].amount for i in ids] == [3000, 4000, 5000]
        # The interrupted transfer was asked twice with the same key (the payout's id) and is one transfer.
        interrupted = f"payout-{payouts[ids[1]].id}"
        assert standin.idempotency_keys.count(interrupted) == 2 and len(standin.transfers) == 3
        assert payouts[ids[1]].transfer_id == standin.transfers[interrupted]["id"]
        assert "no payout details or tax information" in skips[nobody] and "below the minimum" in skips[small]
        assert kinds(database) == {"pool_allocation": 5, "payout": 3, "payout_sent": 3}
        assert [balance(database, f"builder:{i}:USD") for i in ids] == [0, 0, 0]
        assert balance(database, f"builder:{small}:USD") == 2_499_000  # carried forward
        assert "payout" in again.stdout and "skipped" in again.stdout

        third = subprocess.run([AGORA, "payouts", "run", "--month", MONTH], env=_env(server, standin), capture_output=True, text=True,
                               timeout=300, check=False)
        assert third.returncode == 0 and kinds(database) == {"pool_allocation": 5, "payout": 3, "payout_sent": 3}
        assert len(standin.idempotency_keys) == 4  # nothing in transit: nothing asked again
    finally:
        standin.close()


def test_failures_return_the_money_and_an_unknown_transfer_changes_nothing(stripe_api, browser, database, server):
    paid = builder(database, "paid@example.com", 4000)
    closed = builder(database, "closed@example.com", 5000, account="acct_closedAccount1")
    stripe_api.refused_destinations.add("acct_closedAccount1")
    settings = server.app.state.settings.model_copy(update={"payout_hold_days": 0})
    report = transfers.pay_month(database, MONTH, settings, transfer=transfers.stripe_transfer(settings))
    by_builder = {p.builder_id: p for p in report.paid}
    assert by_builder[paid].status == "paid" and by_builder[closed].status == "failed" and "closed" in by_builder[closed].reason
    assert balance(database, f"builder:{closed}:USD") == 5_000_000  # returned at once, with an entry
    assert kinds(database)["payout_failed"] == 1

    transfer_id = by_builder[paid].transfer_id
    reversed_ = {"id": transfer_id, "object": "transfer", "amount": 4000, "reversed": True}
    assert deliver(browser, "transfer.reversed", reversed_, "evt_t1").json()["result"] == "processed"
    assert deliver(browser, "transfer.reversed", reversed_, "evt_t1").json()["result"] == "duplicate"
    assert balance(database, f"builder:{paid}:USD") == 4_000_000 and kinds(database)["payout_failed"] == 2
    before = kinds(database)
    unknown = deliver(browser, "transfer.reversed", {"id": "tr_nobody", "object": "transfer"}, "evt_t2")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_transfer"
    assert "tr_nobody" in unknown.json()["error"]["message"]
    with database.session() as session:
        assert session.get(GatewayEvent, "evt_t2") is None and list(discrepancies(session)) == []
    assert kinds(database) == before


def test_bank_payouts_wait_for_the_operator_and_the_hold_period(database, server):
    bank = builder(database, "bank@example.com", 2600, method="bank")
    settings = server.app.state.settings.model_copy(update={"payout_hold_days": 36500})
    try:
        transfers.pay_month(database, MONTH, settings, transfer=None)
        raise AssertionError("the hold period should refuse the run")
    except transfers.InvalidInput as refused:
        assert "hold period" in refused.message and refused.field == "month"
    settings = settings.model_copy(update={"payout_hold_days": 0})
    [payout] = transfers.pay_month(database, MONTH, settings, transfer=None).paid
    assert (payout.method, payout.status, payout.amount) == ("bank", "in_transit", 2600)
    with database.session() as session:
        sheet = transfers.bank_csv(session, MONTH)
    assert f"{payout.id},AGORA-PAYOUT-{payout.id},Bea Builder,Bea Builder,FR1420041010050500013M02606,,FR,26.00,USD,bank@example.com" in sheet
    with database.session() as session:
        transfers.sent(session, payout.id)
    with database.session() as session:
        transfers.sent(session, payout.id)  # confirmed twice: once
        assert transfers.bank_csv(session, MONTH).count("\n") == 1
    assert kinds(database)["payout_sent"] == 1 and balance(database, f"builder:{bank}:USD") == 0
    assert balance(database, "payouts_in_transit:USD") == 0


def test_the_payout_details_page_refuses_what_is_wrong_and_a_builder_sees_why_they_were_not_paid(browser, database, server):
    browser.signup(email="bea@example.com", name="Bea")
    page = browser.get("/builders/me/payouts")
    assert page.status_code == 200 and 'id="details-needed"' in page.text
    good = {"method": "bank", "bank_holder": "Bea Builder", "bank_iban": "FR14 2004 1010 0505 0001 3M02 606", "bank_bic": "",
            "legal_name": "Bea Builder", "country": "fr", "tax_id": "FR12345678901"}
    for wrong, field in (({"bank_iban": "FR1520041010050500013M02606"}, "bank_iban"), ({"method": "paypal"}, "method"),
                         ({"country": "France"}, "country"), ({"tax_id": "1"}, "tax_id"), ({"method": "stripe"}, "stripe_account")):
        refused = browser.submit("/builders/me/payouts", {**good, **wrong}, form_page="/builders/me/payouts")
        assert (refused.status_code == 422 and f'id="{field}-error"' in refused.text) or (field == "method" and refused.status_code == 422), field
    with database.session() as session:
        assert session.scalar(select(PayoutProfile)) is None  # nothing half-written
    assert browser.submit("/builders/me/payouts", good, form_page="/builders/me/payouts").status_code == 303
    with database.session() as session:
        profile = session.scalar(select(PayoutProfile))
        assert (profile.bank_iban, profile.country, profile.method) == ("FR1420041010050500013M02606", "FR", "bank")
    assert "Saved." in browser.get("/builders/me/payouts?saved=1").text
