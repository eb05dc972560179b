"""Payout runs under hypothesis, on both databases: money is conserved, each builder is paid at most once a month whatever
Stripe answers and however often the month is run, and what is not paid stays in the balance."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from agora.ledger.models import LedgerAccount
from agora.ledger.verify import discrepancies
from agora.payouts import transfers
from agora.payouts.models import Payout
from tests.payouts.test_payouts import MONTH, builder

_run = itertools.count()


def _balances(session) -> dict[str, int]:
    return dict(session.execute(select(LedgerAccount.code, LedgerAccount.balance)).all())


def _totals(session) -> dict[str, int]:
    found = dict(session.execute(select(Payout.status, func.sum(Payout.amount)).group_by(Payout.status)).all())
    return {status: int(found.get(status) or 0) for status in ("paid", "in_transit")}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(earned=st.lists(st.tuples(st.integers(1, 9000), st.sampled_from(["stripe", "bank", None]), st.booleans()), min_size=1, max_size=5),
       minimum=st.integers(1, 4000))
def test_runs_conserve_money_and_pay_once(database, server, earned, minimum):
    run = next(_run)
    ids = {builder(database, f"p{run}-{n}@example.com", cents, method=method): (cents, method, answers)
           for n, (cents, method, answers) in enumerate(earned)}
    settings_ = server.app.state.settings.model_copy(update={"payout_hold_days": 0, "payout_minimum": minimum})
    silent = {uid for uid, (_c, _m, answers) in ids.items() if not answers}
    asked: list[str] = []

    def transfer(amount: int, currency: str, destination: str, key: str, description: str) -> str:
        asked.append(key)
        with database.session() as session:
            payout = session.get_one(Payout, int(key.removeprefix("payout-")))
            if payout.builder_id in silent and asked.count(key) == 1:
                raise TimeoutError("no answer")  # the first attempt for these gets no answer
        return f"tr_{key}"

    with database.session() as session:
        start, start_totals = _balances(session), _totals(session)
        earlier = set(session.scalars(select(Payout.id)))
    transfers.pay_month(database, MONTH, settings_, transfer=transfer)
    transfers.pay_month(database, MONTH, settings_, transfer=transfer)
    with database.session() as session:
        after = _balances(session)
        assert list(discrepancies(session)) == []
        payouts = {p.builder_id: p for p in session.scalars(select(Payout).where(Payout.builder_id.in_(ids)))}
    transfers.pay_month(database, MONTH, settings_, transfer=transfer)
    with database.session() as session:
        assert _balances(session) == after  # a third run changes nothing
    for uid, (cents, method, _answers) in ids.items():
        paid = payouts.get(uid)
        owed = after.get(f"builder:{uid}:USD", 0)
        if method is None or cents < minimum:
            assert paid is None and owed == cents * 1000  # skipped: carried forward whole
        else:
            assert paid is not None and paid.amount == cents and owed == 0
            assert paid.status == ("paid" if method == "stripe" else "in_transit")
    with database.session() as session:  # every payout of the month (a lower minimum may pay earlier examples' builders now)
        totals = _totals(session)
    assert after.get("external:USD", 0) - start.get("external:USD", 0) == (totals["paid"] - start_totals["paid"]) * 1000
    assert after.get("payouts_in_transit:USD", 0) - start.get("payouts_in_transit:USD", 0) == (
        totals["in_transit"] - start_totals["in_transit"]) * 1000
    with database.session() as session:  # one transfer (key) per Stripe payout this example made, earlier examples' builders included
        made = [p for p in session.scalars(select(Payout).where(Payout.method == "stripe")) if p.id not in earlier]
        assert set(asked) == {f"payout-{p.id}" for p in made} and all(p.status == "paid" for p in made)
