"""The ledger on both databases: balanced entries once per key, balances that follow their legs
under concurrency, a database that refuses edits and unbalanced entries, and a verify command
that finds any tampering."""

from __future__ import annotations

import os
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from agora.accounts import service as accounts
from agora.db import begin_writing
from agora.errors import Conflict, InvalidInput
from agora.ledger import service as ledger
from agora.ledger.models import LedgerAccount, LedgerEntry, LedgerLeg
from agora.ledger.verify import discrepancies
from tests.conftest import AGORA


def _user(database, email: str = "maker@example.com") -> int:
    with database.session() as session:
        user = accounts.user_by_email(session, email) or accounts.create_user(session, email=email, display_name="Maker", password=None)
        return user.id


def _balances(database) -> dict[str, int]:
    with database.session() as session:
        return dict(session.execute(select(LedgerAccount.code, LedgerAccount.balance)).all())


def _entries(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry))


def _platform(session, currency: str = "USD") -> tuple[LedgerAccount, LedgerAccount, LedgerAccount]:
    return (ledger.account(session, ledger.EXTERNAL, currency), ledger.account(session, ledger.PLATFORM_REVENUE, currency),
            ledger.account(session, ledger.REVENUE_POOL, currency))


def test_an_entry_moves_money_once_per_key(database):
    with database.session() as session:
        world, revenue, _pool = _platform(session)
        first = ledger.post(session, kind="subscription_paid", key="invoice:1:paid", currency="usd",
                            legs=[(world, -2_000_000), (revenue, 2_000_000)])
        again = ledger.post(session, kind="subscription_paid", key="invoice:1:paid", currency="USD",
                            legs=[(revenue, 2_000_000), (world, -2_000_000)])
        assert first.created and not again.created and again.entry.id == first.entry.id
        with pytest.raises(Conflict, match="already posted a different entry"):
            ledger.post(session, kind="subscription_paid", key="invoice:1:paid", currency="USD", legs=[(world, -1), (revenue, 1)])
    assert _balances(database) == {"external:USD": -2_000_000, "platform_revenue:USD": 2_000_000, "revenue_pool:USD": 0}
    with database.session() as session:
        assert list(discrepancies(session)) == []


@pytest.mark.parametrize(("legs", "field", "message"), [
    ([("world", -5), ("revenue", 4)], "legs", "sum to -1"),
    ([("world", -5)], "legs", "at least two accounts"),
    ([("world", 0), ("revenue", 0)], "legs", "zero moves nothing"),
    ([("world", -5), ("world", 5)], "legs", "appears once"),
    ([("world", -5), ("euros", 5)], "currency", "pool:EUR"),
    ([("world", -2.5), ("revenue", 2.5)], "amount", "whole numbers"),
])
def test_an_unbalanced_entry_is_refused_and_leaves_nothing(database, legs, field, message):
    with database.session() as session:
        named = {"world": ledger.account(session, ledger.EXTERNAL, "USD"), "revenue": ledger.account(session, ledger.PLATFORM_REVENUE, "USD"),
                 "euros": ledger.account(session, ledger.REVENUE_POOL, "EUR")}
    with database.session() as session:
        with pytest.raises(InvalidInput, match=message) as refused:
            ledger.post(session, kind="test", key="bad", currency="USD", legs=[(named[name], amount) for name, amount in legs])
        assert refused.value.field == field
    assert _entries(database) == 0 and set(_balances(database).values()) == {0}


def test_credit_never_goes_below_zero_and_the_caller_keeps_its_transaction(database):
    buyer = _user(database, "buyer@example.com")
    with database.session() as session:
        world, revenue, _pool = _platform(session)
        credit = ledger.account(session, ledger.USER_CREDIT, "USD", owner_id=buyer)
        ledger.post(session, kind="credit_purchase", key="credit:1", currency="USD", legs=[(world, -500_000), (credit, 500_000)])
    with database.session() as session:
        credit = ledger.account(session, ledger.USER_CREDIT, "USD", owner_id=buyer)
        revenue = ledger.account(session, ledger.PLATFORM_REVENUE, "USD")
        with pytest.raises(ledger.InsufficientFunds, match="holds 500000 millis; this entry takes 700000"):
            ledger.post(session, kind="message_charge", key="charge:1", currency="USD", legs=[(credit, -700_000), (revenue, 700_000)])
        ledger.post(session, kind="message_charge", key="charge:2", currency="USD", legs=[(credit, -200_000), (revenue, 200_000)])
    assert _balances(database)[f"user_credit:{buyer}:USD"] == 300_000  # the refused charge left nothing, the next one went through
    with database.session() as session:
        assert session.scalar(select(LedgerEntry.id).where(LedgerEntry.idempotency_key == "charge:1")) is None


def test_a_reversal_mirrors_an_entry_once(database):
    with database.session() as session:
        world, revenue, _pool = _platform(session)
        paid = ledger.post(session, kind="subscription_paid", key="invoice:9:paid", currency="USD", legs=[(world, -900), (revenue, 900)])
        undone = ledger.reverse(session, paid.entry.id, memo="paid twice by mistake")
        assert undone.created and undone.entry.reverses_id == paid.entry.id
        assert not ledger.reverse(session, paid.entry.id).created
        with pytest.raises(Conflict, match="itself a reversal"):
            ledger.reverse(session, undone.entry.id)
    assert set(_balances(database).values()) == {0}


def test_twenty_posts_at_once_apply_each_key_once_and_lose_no_update(database):
    with database.session() as session:
        _platform(session)

    def pay(n: int) -> bool:
        with database.session() as session:
            begin_writing(session)  # on SQLite, as the database's writer from the first read
            world, revenue, _pool = _platform(session)
            return ledger.post(session, kind="subscription_paid", key=f"invoice:{n % 10}:paid", currency="USD",
                               legs=[(world, -1000 * (n % 10 + 1)), (revenue, 1000 * (n % 10 + 1))]).created

    with ThreadPoolExecutor(20) as pool:
        created = list(pool.map(pay, range(20)))
    assert created.count(True) == 10 and _entries(database) == 10
    assert _balances(database)["platform_revenue:USD"] == 1000 * sum(range(1, 11))
    with database.session() as session:
        assert list(discrepancies(session)) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 10**12), st.booleans()), min_size=1, max_size=12))
def test_any_sequence_of_entries_conserves_money(database, moves):
    """Every balance is what its legs say, money is neither made nor lost, and replaying every
    entry (a retried write) changes nothing."""
    run = uuid.uuid4().hex[:8]
    kinds = [ledger.EXTERNAL, ledger.PLATFORM_REVENUE, ledger.REVENUE_POOL, ledger.PLATFORM_COMMISSION]
    before = _balances(database)
    expected = dict(before)
    for replay in (False, True):
        with database.session() as session:
            named = [ledger.account(session, kind, "EUR") for kind in kinds]
            for n, (source, target, amount, third) in enumerate(moves):
                if source == target:
                    continue
                legs = [(named[source], -amount), (named[target], amount)]
                if third and len({source, target, 3 - source}) == 3:  # a three-legged entry: part goes elsewhere
                    legs = [(named[source], -amount), (named[target], amount - amount // 3), (named[3 - source], amount // 3)]
                    legs = [(account, value) for account, value in legs if value]
                posted = ledger.post(session, kind="transfer", key=f"{run}:{n}", currency="EUR", legs=legs)
                assert posted.created is not replay
                if not replay:
                    for account, value in legs:
                        expected[account.code] = expected.get(account.code, 0) + value
    after = _balances(database)
    assert after == {code: expected.get(code, 0) for code in after}
    assert sum(after.values()) == sum(before.values()) == 0
    with database.session() as session:
        assert list(discrepancies(session)) == []


def test_the_database_refuses_edits_and_deletes(database):
    with database.session() as session:
        world, revenue, _pool = _platform(session)
        ledger.post(session, kind="subscription_paid", key="invoice:2:paid", currency="USD", legs=[(world, -100), (revenue, 100)])
    for statement in ("UPDATE ledger_legs SET amount = amount * 2", "DELETE FROM ledger_legs", "UPDATE ledger_entries SET memo = 'x'",
                      "DELETE FROM ledger_entries"):
        with pytest.raises(DBAPIError, match="append-only"), database.session() as session:
            session.execute(text(statement))
    with database.session() as session:
        assert session.scalar(select(func.sum(LedgerLeg.amount)).where(LedgerLeg.amount > 0)) == 100


def _tamper(database, statement: str) -> None:
    """What someone with the database's file or password could do, behind the triggers' back."""
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(text(statement))
            return
        triggers = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'ledger%'")).all()
        for name, _sql in triggers:
            connection.execute(text(f"DROP TRIGGER {name}"))
        connection.execute(text(statement))
        for _name, sql in triggers:
            connection.execute(text(sql))


def _verify(database) -> subprocess.CompletedProcess:
    env = {**os.environ, "AGORA_DATABASE_URL": database.url, "AGORA_HOME": str(os.environ.get("TMPDIR", "/tmp"))}
    return subprocess.run([AGORA, "ledger", "verify"], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_verify_names_the_first_entry_or_balance_that_is_wrong(database):
    with database.session() as session:
        world, revenue, pool = _platform(session)
        for n in range(3):
            ledger.post(session, kind="subscription_paid", key=f"invoice:{n}:paid", currency="USD", legs=[(world, -100), (revenue, 100)])
        second = session.scalar(select(LedgerEntry.id).where(LedgerEntry.idempotency_key == "invoice:1:paid"))
        pool_id = pool.id
    intact = _verify(database)
    assert intact.returncode == 0, intact.stderr
    assert "balances" in intact.stdout
    _tamper(database, f"UPDATE ledger_legs SET amount = 150 WHERE entry_id = {second} AND amount = 100")
    _tamper(database, f"UPDATE ledger_accounts SET balance = 7 WHERE id = {pool_id}")
    broken = _verify(database)
    assert broken.returncode == 1
    assert f"the first: entry {second}: its 2 legs sum to 50, not 0" in broken.stderr
    assert f"account {pool_id}: revenue_pool:USD says 7 but its legs sum to 0" in broken.stderr


def test_postgresql_refuses_an_unbalanced_entry_at_commit(database):
    """Written past agora.ledger (raw SQL): PostgreSQL's deferred trigger refuses it; on SQLite
    only verify can tell, which the test above shows."""
    with database.session() as session:
        world, _revenue, _pool = _platform(session)
        world_id = world.id
    insert_entry = ("INSERT INTO ledger_entries (kind, idempotency_key, currency, memo, occurred_at, created_at) "
                    "VALUES ('raw', 'raw:1', 'USD', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
    insert_leg = f"INSERT INTO ledger_legs (entry_id, account_id, amount) SELECT id, {world_id}, -100 FROM ledger_entries WHERE idempotency_key = 'raw:1'"
    if database.dialect == "postgresql":
        with pytest.raises(DBAPIError, match="does not balance"), database.engine.begin() as connection:
            connection.execute(text(insert_entry))
            connection.execute(text(insert_leg))
        assert _entries(database) == 0
    else:
        with database.engine.begin() as connection:
            connection.execute(text(insert_entry))
            connection.execute(text(insert_leg))
        with database.session() as session:
            assert "1 leg(s)" in str(next(discrepancies(session)))
