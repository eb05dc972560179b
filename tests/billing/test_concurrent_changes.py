"""Subscription changes sent many at once over real HTTP: serialised per workspace, billed once, never a 5xx."""

from __future__ import annotations

import itertools
import threading
from collections import Counter

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.accounts.models import Workspace
from agora.billing import invoices, lifecycle
from agora.billing.models import Invoice, Subscription, SubscriptionEvent
from tests.billing.conftest import put_on_plan


def at_once(browser, count: int, body: dict, keys: list[str | None]) -> list[httpx.Response]:
    """`count` POST /api/subscription released together, each on its own connection, with the given Idempotency-Keys."""
    return send_together(browser, [(body, key) for key in keys[:count]])


def send_together(browser, requests: list[tuple[dict, str | None]]) -> list[httpx.Response]:
    """POST /api/subscription once per (body, Idempotency-Key), all released together, each on its own connection."""
    headers = browser.api_headers()
    start, answers = threading.Barrier(len(requests)), [None] * len(requests)

    def send(n: int) -> None:
        body, key = requests[n]
        with httpx.Client(base_url=str(browser.base_url), cookies=browser.cookies, timeout=60) as client:
            start.wait()
            answers[n] = client.post("/api/subscription", json=body, headers={**headers, **({"Idempotency-Key": key} if key else {})})

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def invoices_by_reason(database) -> Counter:
    with database.session() as session:
        return Counter(session.scalars(select(Invoice.reason)))


def test_twenty_concurrent_subscribes_from_a_free_user_bill_once(browser, database, no_trial):
    browser.signup()
    answers = at_once(browser, 20, {"plan": "plus"}, [None] * 20)
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers if a.status_code != 200]
    assert invoices_by_reason(database) == Counter({"subscription_start": 1})  # the 19 others left the plan as it was
    assert {a.json()["plan"] for a in answers} == {"plus"}
    assert sum(a.json()["invoice"] is not None for a in answers) == 1


def test_twenty_concurrent_upgrades_with_different_keys_upgrade_once(browser, database, make_browser):
    browser.signup()
    headers = browser.api_headers()
    assert browser.post("/api/subscription", json={"plan": "plus"}, headers=headers).status_code == 200
    answers = at_once(browser, 20, {"plan": "team", "seats": 3}, [f"upgrade-{n}" for n in range(20)])
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers if a.status_code != 200]
    assert invoices_by_reason(database) == Counter({"subscription_start": 1, "proration": 1})
    assert {(a.json()["plan"], a.json()["seats"]) for a in answers} == {("team", 3)}
    with database.session() as session:
        assert session.scalar(select(func.count()).where(SubscriptionEvent.kind == "changed")) == 1


def test_the_same_key_twenty_times_at_once_gives_every_caller_the_first_result(browser, database):
    browser.signup()
    answers = at_once(browser, 20, {"plan": "plus"}, ["the-one-key"] * 20)
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers if a.status_code != 200]
    assert invoices_by_reason(database) == Counter({"subscription_start": 1})
    assert len({a.text for a in answers}) == 1 and answers[0].json()["invoice"]  # the first answer, replayed


def test_a_change_to_the_plan_already_held_bills_nothing(browser, database, no_trial):
    browser.signup()
    headers = browser.api_headers()
    started = browser.post("/api/subscription", json={"plan": "plus"}, headers=headers).json()
    same = browser.post("/api/subscription", json={"plan": "plus"}, headers={**headers, "Idempotency-Key": "again"})
    assert same.status_code == 200 and same.json() == {**started, "invoice": None}
    assert invoices_by_reason(database) == Counter({"subscription_start": 1})


def test_operator_set_team_then_concurrent_billed_team_starts_once(browser, database, no_trial):
    browser.signup()
    put_on_plan(database, "ada@example.com", "free")  # an operator's plan (no period end) gives way to a billed one
    answers = at_once(browser, 10, {"plan": "plus"}, [f"k{n}" for n in range(10)])
    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers if a.status_code != 200]
    assert invoices_by_reason(database) == Counter({"subscription_start": 1})


def test_keys_are_each_users_own(make_browser, database, no_trial):
    ada, eve = make_browser(), make_browser()
    for browser, email in ((ada, "ada@example.com"), (eve, "eve@example.com")):
        browser.signup(email=email)
        answer = browser.post("/api/subscription", json={"plan": "plus"}, headers={**browser.api_headers(), "Idempotency-Key": "same"})
        assert answer.status_code == 200 and answer.json()["invoice"], answer.text  # Eve's key is not Ada's: she is billed too
    assert invoices_by_reason(database) == Counter({"subscription_start": 2})


TARGETS = [("plus", 1), ("team", 2), ("team", 3), ("team", 4)]
examples = itertools.count()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(targets=st.lists(st.sampled_from(TARGETS), min_size=2, max_size=6), keyed=st.lists(st.booleans(), min_size=6, max_size=6))
def test_any_interleaving_of_concurrent_changes_bills_what_they_bill_one_after_another(make_browser, database, targets, keyed):
    n = next(examples)
    browser = make_browser()
    browser.signup(email=f"p{n}@example.com")
    started = browser.post("/api/subscription", json={"plan": "plus"}, headers=browser.api_headers()).json()
    answers = send_together(browser, [({"plan": plan, "seats": seats}, f"{n}-{i}" if keyed[i] else None) for i, (plan, seats) in enumerate(targets)])
    assert [a.status_code for a in answers] == [200] * len(targets), [a.text for a in answers]
    assert [(a.json()["plan"], a.json()["seats"]) for a in answers] == targets  # each left the subscription as it asked

    with database.session() as session:
        subscription = session.scalar(select(Subscription).where(Subscription.workspace_id == started["workspace_id"]))
        changes = [e.data for e in session.scalars(select(SubscriptionEvent).where(
            SubscriptionEvent.subscription_id == subscription.id, SubscriptionEvent.kind == "changed").order_by(SubscriptionEvent.id))]
        billed = {i.number: [l.amount for l in invoices.lines_of(session, i)] for i in session.scalars(select(Invoice).where(Invoice.subscription_id == subscription.id))}
        first_line = invoices.lines_of(session, invoices.by_number(session, started["invoice"]))[0]
        at = {c["invoice"]: invoices.lines_of(session, invoices.by_number(session, c["invoice"]))[0].period_start for c in changes}

    # The changes made, in the order they were made, are some serial order of the requests: each
    # change starts where the last one left off, and every request not making one asked for a
    # state the subscription was in at some point (it was a no-op when its turn came).
    states = [("plus", 1)] + [(c["plan"][1], c["seats"][1]) for c in changes]
    assert all((c["plan"][0], c["seats"][0]) == states[i] != states[i + 1] for i, c in enumerate(changes))
    left = Counter(targets)
    left.subtract(Counter(states[1:]))
    assert all(count >= 0 for count in left.values()) and all(target in states for target in +left)
    assert len(billed) == 1 + len(changes)  # a start, and one proration per change: nothing for the no-ops

    # The same changes one after another, at the same instants, on another workspace bill the same lines.
    with database.session() as session:
        owner = accounts.create_user(session, email=f"serial{n}@example.com", display_name="Serial", password=None)
        session.flush()
        workspace = session.get(Workspace, accounts.personal_workspace_id(session, owner))
        again, first = lifecycle.start(session, workspace=workspace, plan_code="plus", seats=1, interval="month", now=first_line.period_start)
        assert [l.amount for l in invoices.lines_of(session, first)] == billed[started["invoice"]]
        for change in changes:
            bill = lifecycle.change(session, again, plan_code=change["plan"][1], seats=change["seats"][1], now=at[change["invoice"]])
            assert [l.amount for l in invoices.lines_of(session, bill)] == billed[change["invoice"]]
