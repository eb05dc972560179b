"""Properties of charging priced messages, on both databases (hypothesis): money is conserved, settling again changes nothing,
the order replies end in changes nothing, and credit never pays for more than it holds."""

from __future__ import annotations

import itertools
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from agora.accounts import service as accounts
from agora.billing import plans
from agora.billing.entitlements import plan_in_force
from agora.config import Settings
from agora.credits import holds, purchases
from agora.credits.errors import CreditsRequired
from agora.credits.models import CreditHold
from agora.gpts.models import Gpt
from agora.ledger.models import LedgerAccount
from agora.ledger.verify import discrepancies
from tests.billing.conftest import put_on_plan
from tests.chat.conftest import make_gpt

_run = itertools.count()
SETTINGS = Settings(_env_file=None, commission_small_builder_threshold=30)  # 30 cents: the commission rises from 15 % to 30 % midway

sends = st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=1, max_size=8)  # (which user, does the reply complete)


def _balances(session) -> dict[str, int]:
    return dict(session.execute(select(LedgerAccount.code, LedgerAccount.balance)).all())


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(price=st.integers(1, 100), credit=st.lists(st.integers(0, 400), min_size=3, max_size=3), allowance=st.integers(0, 3), sent=sends,
       seed=st.integers(0, 1000))
def test_charges_conserve_money_and_settling_again_or_in_another_order_changes_nothing(database, price, credit, allowance, sent, seed):
    run = next(_run)
    gpt_id = make_gpt(database, owner_email=f"builder{run}@example.com")
    with database.session() as session:
        plans.edit_plan(session, "plus", entitlements_patch={"priced_messages_per_month": allowance})
        session.get_one(Gpt, gpt_id).price_per_message = price
        users = [accounts.create_user(session, email=f"u{run}-{n}@example.com", display_name="U", password=None) for n in range(3)]
        session.flush()
        ids = [user.id for user in users]
        for uid, cents in zip(ids, credit, strict=True):
            if cents:
                purchases.record(session, user_id=uid, amount=cents, currency="USD", gateway="offline", reference=f"r{run}-{uid}")
    put_on_plan(database, f"u{run}-0@example.com", "plus")  # the first user's plan includes priced messages; the others are on Free

    with database.session() as session:
        start = _balances(session)
    settled, refused = [], 0
    for who, completes in sent:
        with database.session() as session:
            user, gpt = session.get_one(accounts.User, ids[who]), session.get_one(Gpt, gpt_id)
            in_force = plan_in_force(session, user, SETTINGS)
            try:
                charge = holds.quote(session, user=user, gpt=gpt, in_force=in_force, settings=SETTINGS)
                assert charge is not None
                holds.reserve(session, charge, in_force)
            except CreditsRequired:
                refused += 1
                continue
        settled.append(holds.Settlement(charge.key, completes, charge.commission))
    order = settled[:]
    random.Random(seed).shuffle(order)  # replies end in any order
    with database.session() as session:
        holds.settle(session, order)
    with database.session() as session:
        after = _balances(session)
        assert list(discrepancies(session)) == []
    with database.session() as session:  # a batch the usage writer retries, or a settlement written twice
        holds.settle(session, list(reversed(settled)))
    with database.session() as session:
        assert _balances(session) == after
        kept = {hold.key: hold for hold in session.scalars(select(CreditHold).where(CreditHold.user_id.in_(ids)))}
    delta = {code: after.get(code, 0) - start.get(code, 0) for code in after.keys() | start.keys()}

    # A naive recomputation: each complete reply's hold charged, in the order the replies ended, at 15 % until 30 cents were sold.
    millis, sold, builder_part, from_credit, allowance_part = price * 1000, 0, 0, 0, 0
    for item in order:
        hold = kept[item.key]
        assert hold.status == ("charged" if item.complete else "released")
        if not item.complete:
            continue
        part = millis - millis * (15 if sold < 30_000 else 30) // 100
        sold += millis
        builder_part += part
        if hold.funding == "credit":
            from_credit += millis
        else:
            allowance_part += part
    builder_id = kept[settled[0].key].builder_id if settled else None
    if builder_id is not None:
        assert delta.get(f"builder:{builder_id}:USD", 0) == builder_part
    assert delta.get("platform_revenue:USD", 0) == -allowance_part
    assert delta.get("platform_commission:USD", 0) == from_credit - (builder_part - allowance_part)
    for n, uid in enumerate(ids):
        paid = [hold for hold in kept.values() if hold.user_id == uid and hold.status == "charged"]
        assert after.get(f"user_credit:{uid}:USD", 0) == credit[n] * 1000 - millis * sum(hold.funding == "credit" for hold in paid) >= 0
        assert sum(hold.funding == "allowance" for hold in kept.values() if hold.user_id == uid) <= (allowance if n == 0 else 0)
    assert len(settled) + refused == len(sent)


def test_two_sends_at_once_cannot_spend_the_same_last_credit(database, backend):
    """Both pass the first look (admission) at once on PostgreSQL; the hold, taken under the credit account's lock, refuses the second."""
    import threading

    from agora.db import begin_writing

    gpt_id = make_gpt(database)
    with database.session() as session:
        session.get_one(Gpt, gpt_id).price_per_message = 30
        uid = accounts.create_user(session, email="racer@example.com", display_name="R", password=None).id
        session.flush()
        purchases.record(session, user_id=uid, amount=50, currency="USD", gateway="offline", reference="race")
    both_quoted = threading.Barrier(2) if backend == "postgresql" else None  # SQLite: one writer at a time from the start
    outcomes: list[str] = []

    def send() -> None:
        try:
            with database.session() as session:
                begin_writing(session)
                user, gpt = session.get_one(accounts.User, uid), session.get_one(Gpt, gpt_id)
                in_force = plan_in_force(session, user, SETTINGS)
                charge = holds.quote(session, user=user, gpt=gpt, in_force=in_force, settings=SETTINGS)
                if both_quoted is not None:
                    both_quoted.wait(timeout=30)
                assert charge is not None
                holds.reserve(session, charge, in_force)
            outcomes.append("held")
        except CreditsRequired:
            outcomes.append("refused")

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["held", "refused"]
    with database.session() as session:
        assert holds.available_credit(session, uid, "USD") == 20_000
