"""The monthly revenue pool on both databases: recomputed from the raw usage events by a
second, naive implementation and compared to the milli-cent; exclusions, eligibility, a
second run and two runs at once; and the arithmetic's properties under hypothesis."""

from __future__ import annotations

import os
import random
import subprocess
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.accounts.models import Membership
from agora.billing import invoices
from agora.db import utcnow
from agora.ledger.models import LedgerAccount, LedgerEntry
from agora.ledger.verify import discrepancies
from agora.metering import batch
from agora.payouts.models import PoolMonth, PoolShare
from agora.payouts.pool import Rules, largest_remainder
from agora.payouts.run import run_month
from agora.store.models import BuilderDomain
from tests.chat.conftest import make_gpt
from tests.conftest import AGORA

RULES = Rules(share_percent=20, min_users=2, min_units=3, user_days_cap=4, verified_builders_only=True)


def _month() -> tuple[str, datetime, datetime]:
    """The current month (invoices are paid now) and the instant it ends, when it may be run."""
    now = utcnow()
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = (start + timedelta(days=32)).replace(day=1)
    return f"{start:%Y-%m}", start, end


def _paid_invoice(database, email: str, cents: int) -> None:
    with database.session() as session:
        user = accounts.user_by_email(session, email) or accounts.create_user(session, email=email, display_name="Payer", password=None)
        invoice = invoices.issue(session, workspace_id=accounts.personal_workspace_id(session, user), subscription_id=None, currency="USD",
                                 reason="subscription_start", lines=[invoices.Line("Plus", 1, cents, cents)])
        invoices.mark_paid(session, invoice)


def _verify(session, builder_email: str) -> None:
    user = accounts.user_by_email(session, builder_email)
    session.add(BuilderDomain(user_id=user.id, domain=f"{user.id}.example.com", token="t", verified_at=utcnow()))


def _world(database, seed: int):
    """Builders, GPTs, users and a month of usage events, some of them the kinds the pool excludes."""
    rng = random.Random(seed)
    _month_name, start, _end = _month()
    builders = [f"builder{n}@example.com" for n in range(3)]
    gpts = {make_gpt(database, name=f"Helper {n}", owner_email=builders[n % 3]): builders[n % 3] for n in range(6)}
    with database.session() as session:
        for email in builders[:2]:  # the third builder is not verified
            _verify(session, email)
        users = [accounts.create_user(session, email=f"user{n}@example.com", display_name=f"U{n}", password=None) for n in range(9)]
        session.flush()
        ids = {email: accounts.user_by_email(session, email).id for email in builders}
        member = users[0]  # a member of the first builder's workspace: their use does not count
        session.add(Membership(workspace_id=accounts.personal_workspace_id(session, accounts.user_by_email(session, builders[0])),
                               user_id=member.id, role="member"))
        talkers = [u.id for u in users] + list(ids.values())
    events = []
    for n in range(160):
        gpt_id = rng.choice(list(gpts))
        user_id = rng.choice(talkers)
        at = start + timedelta(days=rng.randrange(0, 27), minutes=rng.randrange(0, 1440))
        source = rng.choice(["web", "web", "api", "preview"])
        events.append({"idempotency_key": f"e{seed}:{n}", "user_id": user_id, "gpt_id": gpt_id, "gpt_version": 1, "model": "m",
                       "source": source, "status": "complete", "prompt_tokens": 3, "completion_tokens": 4, "latency_ms": 5,
                       "created_at": at})
    with database.session() as session:
        batch.ingest(session, events)
    return gpts, ids, member.id, events


def _naive(events, gpts, ids, member_id, builder_of_workspace_member, pool) -> dict[str, int]:
    """The formula of docs/payouts.md, the plain way: from each event, with fractions."""
    days = defaultdict(set)
    for event in events:
        builder = ids[gpts[event["gpt_id"]]]
        if event["source"] == "preview" or event["user_id"] == builder:
            continue
        if event["user_id"] == member_id and gpts[event["gpt_id"]] == builder_of_workspace_member:
            continue
        days[(event["gpt_id"], event["user_id"])].add(event["created_at"].date())
    units, users = defaultdict(int), defaultdict(int)
    for (gpt_id, _user), seen in days.items():
        units[gpt_id] += min(len(seen), RULES.user_days_cap)
        users[gpt_id] += 1
    verified = {ids[e] for e in list(ids)[:2]}
    chosen = sorted(g for g in units if users[g] >= RULES.min_users and units[g] >= RULES.min_units and ids[gpts[g]] in verified)
    total = sum(units[g] for g in chosen)
    if not total:
        return {}
    exact = {g: Fraction(pool * units[g], total) for g in chosen}
    shares = {g: int(exact[g]) for g in chosen}
    leftover = pool - sum(shares.values())
    for g in sorted(chosen, key=lambda g: (-(exact[g] - shares[g]), g))[:leftover]:
        shares[g] += 1
    return shares


@pytest.mark.parametrize("seed", [1, 2])
def test_the_pool_matches_a_naive_recomputation_to_the_millicent(database, seed):
    month, _start, end = _month()
    gpts, ids, member_id, events = _world(database, seed)
    _paid_invoice(database, "payer@example.com", 2000)
    _paid_invoice(database, "other@example.com", 4999)
    pool = (2000 + 4999) * 1000 * 20 // 100  # 20 % of net revenue, in millis
    with database.session() as session:
        [result] = run_month(session, month, RULES, now=end)
    expected = _naive(events, gpts, ids, member_id, "builder0@example.com", pool)
    assert expected, "the generated month should leave some GPT eligible"
    assert {p.engagement.gpt_id: p.amount for p in result.parts} == expected
    assert result.pool == pool and result.allocated == sum(expected.values()) == pool and not result.already_run
    with database.session() as session:
        balances = dict(session.execute(select(LedgerAccount.owner_id, LedgerAccount.balance).where(LedgerAccount.kind == "builder")).all())
        earned = defaultdict(int)
        for gpt_id, amount in expected.items():
            earned[ids[gpts[gpt_id]]] += amount
        assert balances == {builder: amount for builder, amount in earned.items() if amount}
        assert list(discrepancies(session)) == []


def test_running_a_month_again_or_twice_at_once_changes_nothing(database):
    month, _start, end = _month()
    _world(database, 3)
    _paid_invoice(database, "payer@example.com", 2000)

    def run() -> bool:
        with database.session() as session:
            return run_month(session, month, RULES, now=end)[0].already_run

    with ThreadPoolExecutor(2) as pool:
        first = sorted(pool.map(lambda _: run(), range(2)))
    assert first == [False, True] and run() is True
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(PoolMonth)) == 1
        assert session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind.in_(["pool_funding", "pool_allocation"]))) == 2
        shares = session.scalar(select(func.sum(PoolShare.amount)))
        assert shares == 2000 * 1000 * 20 // 100


def test_a_month_with_nobody_eligible_keeps_its_revenue(database):
    month, start, end = _month()
    gpt_id = make_gpt(database, owner_email="lonely@example.com")
    with database.session() as session:
        user = accounts.create_user(session, email="only@example.com", display_name="Only", password=None)
        session.flush()
        batch.ingest(session, [{"idempotency_key": "solo", "user_id": user.id, "gpt_id": gpt_id, "gpt_version": 1, "model": "m", "source": "web",
                                "status": "complete", "prompt_tokens": 1, "completion_tokens": 1, "latency_ms": 1, "created_at": start}])
    _paid_invoice(database, "payer@example.com", 2000)
    with database.session() as session:
        [result] = run_month(session, month, RULES, now=end)
        assert result.pool == 400_000 and result.allocated == 0 and result.parts == []
        assert session.scalar(select(LedgerAccount.balance).where(LedgerAccount.code == "platform_revenue:USD")) == 2_000_000


def _cli(database, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AGORA_DATABASE_URL": database.url}
    return subprocess.run([AGORA, "payouts", "run", *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_the_command_refuses_a_month_not_over_and_a_dry_run_writes_nothing(database):
    month, _start, _end = _month()
    _world(database, 4)
    _paid_invoice(database, "payer@example.com", 2000)
    early = _cli(database, "--month", month)
    assert early.returncode == 2 and "is not over" in early.stderr and "--month" in early.stderr
    assert _cli(database, "--month", "2026-13").returncode == 2
    dry = _cli(database, "--month", month, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "pool 4.00 USD" in dry.stdout and "dry run; nothing written" in dry.stdout
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(PoolMonth)) == 0
        assert session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "pool_funding")) == 0
    assert "no paid invoices" in _cli(database, "--month", "2020-01").stdout


@given(total=st.integers(0, 10**15), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=30), seed=st.integers(0, 1000))
def test_largest_remainder_sums_exactly_and_ignores_order(total, weights, seed):
    keys = [f"g{n:03d}" for n in range(len(weights))]
    parts = largest_remainder(total, weights, keys)
    if sum(weights) == 0:
        assert parts == [0] * len(weights)
        return
    assert sum(parts) == total
    assert all(abs(part - Fraction(total * w, sum(weights))) < 1 for part, w in zip(parts, weights, strict=True))
    order = list(range(len(weights)))
    random.Random(seed).shuffle(order)
    shuffled = largest_remainder(total, [weights[i] for i in order], [keys[i] for i in order])
    assert {keys[i]: part for i, part in zip(order, shuffled, strict=True)} == dict(zip(keys, parts, strict=True))
