"""Batch ingestion: replays change nothing, and the incremental rollups equal a rebuild from the events."""

from __future__ import annotations

import random
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.accounts.models import User
from agora.db import utcnow
from agora.gpts.models import Gpt
from agora.metering import batch, export
from agora.metering.models import DailyGptUsage, DailyGptUserUsage, UsageRecord
from agora.store import trending
from agora.store.models import Listing
from tests.metering import totals
from tests.metering.conftest import make_gpt


def test_batches_are_idempotent_and_rollups_match_the_events(database):
    gpt_id = make_gpt(database)
    with database.session() as session:
        users = [accounts.create_user(session, email=f"u{n}@example.com", display_name=f"U{n}", password=None) for n in range(3)]
        session.flush()
        user_ids = [u.id for u in users]
    start = datetime(2026, 10, 30, 22, 0, tzinfo=UTC)  # crosses midnight and the month end
    events = [{"idempotency_key": f"api:{n}", "user_id": user_ids[n % 3], "workspace_id": None, "plan_code": "plus", "gpt_id": gpt_id if n % 5 else None,
               "gpt_version": 1, "builder_id": None, "model": "m", "source": "api", "conversation_id": None, "message_id": None, "status": "complete",
               "prompt_tokens": n, "completion_tokens": 2 * n, "latency_ms": 5, "created_at": start + timedelta(minutes=10 * n)} for n in range(40)]
    with database.session() as session:
        assert batch.ingest(session, events[:25]) == 25
    with database.session() as session:
        assert batch.ingest(session, events[20:]) == 15  # five replayed, ignored
        assert batch.ingest(session, events[::7]) == 0
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(UsageRecord)) == 40
        incremental = {(r.day, r.gpt_id): (r.messages, r.users, r.prompt_tokens, r.completion_tokens) for r in session.scalars(select(DailyGptUsage))}
        rebuilt = {(d if isinstance(d, date) else date.fromisoformat(d), g): (m, u, p, c)
                   for d, g, m, u, p, c in totals.daily_totals(session, start - timedelta(days=1), start + timedelta(days=3))}
        assert incremental == rebuilt and sum(v[0] for v in rebuilt.values()) == 32  # every fifth event has no GPT
        monthly = totals.monthly_totals(session, date(2026, 10, 1), date(2026, 11, 1))
        assert sum(row[2] for row in monthly) == incremental[(date(2026, 10, 30), gpt_id)][0] + incremental[(date(2026, 10, 31), gpt_id)][0]


def _event(key: str, user_id: int, gpt_id: str | None, at: datetime, *, prompt: int = 3, source: str = "api") -> dict:
    return {"idempotency_key": key, "user_id": user_id, "gpt_id": gpt_id, "gpt_version": 1, "model": "m", "source": source,
            "status": "complete", "prompt_tokens": prompt, "completion_tokens": 4, "latency_ms": 5, "created_at": at}


def _users(database, n: int) -> list[int]:
    with database.session() as session:
        users = [accounts.create_user(session, email=f"u{k}@example.com", display_name=f"U{k}", password=None) for k in range(n)]
        session.flush()
        return [u.id for u in users]


def test_batched_events_are_stored_as_the_orm_stores_them(database):
    """Range queries (the month of an export, the day of a rollup) find a batched event at its exact instant."""
    gpt_id = make_gpt(database)
    [user] = _users(database, 1)
    month = datetime(2026, 10, 1, tzinfo=UTC)
    paris = timezone(timedelta(hours=2))
    with database.session() as session:
        assert batch.ingest(session, [_event("a", user, gpt_id, month), _event("b", user, gpt_id, datetime(2026, 10, 1, 1, 30, tzinfo=paris))]) == 2
    with database.session() as session:
        assert session.scalar(select(UsageRecord.idempotency_key).where(UsageRecord.created_at == month)) == "a"
        assert [row["idempotency_key"] for row in export.rows(session, month="2026-10")] == ["a"]
        assert {(str(d), m) for d, _g, m, *_ in totals.daily_totals(session, month, month + timedelta(days=1))} == {("2026-10-01", 1)}
        assert {r.day for r in session.scalars(select(DailyGptUsage))} == {date(2026, 9, 30), date(2026, 10, 1)}


def test_distinct_users_stay_exact_across_replies_batches_and_duplicates(database):
    gpt_id = make_gpt(database)
    ada, bob, cy = _users(database, 3)
    now = utcnow()
    with database.session() as session:
        batch.ingest(session, [_event("reply", ada, gpt_id, now, prompt=1)])
        trending_before = session.scalar(select(Listing.trending).where(Listing.gpt_id == gpt_id))
    # ada already used the GPT today; bob is new and appears twice; "dup" is the same event twice in one batch.
    events = [_event("x1", ada, gpt_id, now), _event("x2", bob, gpt_id, now), _event("dup", bob, gpt_id, now),
              _event("dup", cy, gpt_id, now, prompt=99), _event("reply", ada, gpt_id, now)]
    with database.session() as session:
        assert batch.ingest(session, events) == 3
    with database.session() as session:
        day = session.get(DailyGptUsage, (now.date(), gpt_id))
        assert (day.messages, day.users, day.prompt_tokens) == (4, 2, 1 + 3 * 3)
        assert session.get(DailyGptUserUsage, (now.date(), gpt_id, bob)).messages == 2
        assert session.get(DailyGptUserUsage, (now.date(), gpt_id, cy)) is None
        points = trending.activity_points(new_users=1, new_conversations=0, messages=3)
        expected = trending.total([trending_before, trending.weighted(points, now.date())])  # scores add on a log scale
        assert session.scalar(select(Listing.trending).where(Listing.gpt_id == gpt_id)) == pytest.approx(expected)


def test_a_batch_sees_what_its_transaction_has_not_flushed_yet(database):
    [user] = _users(database, 1)
    with database.session() as session:
        workspace = accounts.personal_workspace_id(session, session.get(User, user))
        session.add(Gpt(id="g-pending0001", owner_id=user, workspace_id=workspace, visibility="private", draft={}, name="Pending"))
        assert batch.ingest(session, [_event("first", user, "g-pending0001", utcnow())]) == 1
    with database.session() as session:
        assert session.get(DailyGptUsage, (utcnow().date(), "g-pending0001")).users == 1


def test_concurrent_batches_sharing_users_neither_lose_nor_double_count(database):
    """Workers ingesting overlapping batches (and replays of each other's events) at once stay exact."""
    gpt_id = make_gpt(database)
    user_ids = _users(database, 40)
    day = datetime(2026, 10, 5, 12, tzinfo=UTC)
    shuffled = random.Random(3)

    def worker(n: int) -> int:
        keys = [f"w{(n + k) % 6}:{u}" for k in range(2) for u in user_ids]  # each key is sent by two workers
        shuffled_keys = shuffled.sample(keys, len(keys))
        with database.session() as session:
            return batch.ingest(session, [_event(key, int(key.split(":")[1]), gpt_id, day) for key in shuffled_keys])

    with ThreadPoolExecutor(6) as pool:
        inserted = sum(pool.map(worker, range(6)))
    with database.session() as session:
        row = session.get(DailyGptUsage, (day.date(), gpt_id))
        assert inserted == session.scalar(select(func.count()).select_from(UsageRecord)) == 6 * 40
        assert (row.messages, row.users) == (6 * 40, 40)


def test_batches_refuse_bad_usage_and_write_nothing(database):
    [user] = _users(database, 1)
    now = utcnow()
    for bad in (_event("neg", user, None, now, prompt=-1), _event("fax", user, None, now, source="fax")):
        with pytest.raises(ValueError), database.session() as session:
            batch.ingest(session, [_event("fine", user, None, now), bad])
    with pytest.raises(ValueError), database.session() as session:
        batch.ingest(session, [_event("naive", user, None, datetime(2026, 10, 1))])
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(UsageRecord)) == 0
    with pytest.raises(ValueError, match="without 'model'"), database.session() as session:
        batch.ingest(session, [{k: v for k, v in _event("bare", user, None, now).items() if k != "model"}])


def test_batches_naming_unknown_users_or_gpts_are_refused_whole_and_write_nothing(database):
    """usage_records has no foreign keys (migration 0012): the batch's one reference check refuses it, naming the ids."""
    gpt_id = make_gpt(database)
    [user] = _users(database, 1)
    now = utcnow()
    with database.session() as session:
        trending_before = session.scalar(select(Listing.trending).where(Listing.gpt_id == gpt_id))
    mixed = [_event("ok", user, gpt_id, now), _event("u1", 999_999, gpt_id, now), _event("u2", 999_998, None, now),
             _event("g1", user, "g-nosuchgpt01", now)]
    with pytest.raises(batch.UnknownReferences) as refused, database.session() as session:
        batch.ingest(session, mixed)
    assert str(refused.value) == ("usage events name unknown users 999998, 999999 and unknown GPTs g-nosuchgpt01;"
                                  " the batch was refused and nothing was written")
    assert isinstance(refused.value, ValueError)  # a caller's bad input, like a negative count
    with pytest.raises(batch.UnknownReferences, match=r"^usage events name unknown GPTs g-nosuchgpt01;"), database.session() as session:
        batch.ingest(session, [_event("ok", user, gpt_id, now), _event("g1", user, "g-nosuchgpt01", now)])
    many = [_event(f"m{n}", 500_000 + n, None, now) for n in range(12)]
    with pytest.raises(batch.UnknownReferences, match=r"users 500000, .*, 500009 \(and 2 more\);"), database.session() as session:
        batch.ingest(session, many)
    # A caller that catches the refusal and carries on in the same transaction starts afresh.
    with database.session() as session:
        with pytest.raises(batch.UnknownReferences):
            batch.ingest(session, [_event("stray", 999_999, gpt_id, now)])
        assert batch.ingest(session, [_event("fine", user, gpt_id, now)]) == 1
    with database.session() as session:
        assert list(session.scalars(select(UsageRecord.idempotency_key))) == ["fine"]
        assert session.get(DailyGptUsage, (now.date(), gpt_id)).messages == 1
        assert sum(session.scalars(select(DailyGptUserUsage.messages))) == 1
        points = trending.activity_points(new_users=1, new_conversations=0, messages=1)
        expected = trending.total([trending_before, trending.weighted(points, now.date())])
        assert session.scalar(select(Listing.trending).where(Listing.gpt_id == gpt_id)) == pytest.approx(expected)


def test_a_batch_of_base_model_events_only_is_stored_without_rollups(database):
    """/v1 calls to a base model carry no GPT: their events are kept, and there is nothing to roll up."""
    [user] = _users(database, 1)
    with database.session() as session:
        assert batch.ingest(session, [_event("base1", user, None, utcnow()), _event("base2", user, None, utcnow())]) == 2
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(UsageRecord)) == 2
        assert session.scalar(select(func.count()).select_from(DailyGptUsage)) == 0


def test_a_reply_naming_an_unknown_gpt_is_refused(database):
    [user] = _users(database, 1)
    with pytest.raises(ValueError, match="unknown GPTs g-nosuchgpt01"), database.session() as session:
        batch.ingest(session, [_event("x", user, "g-nosuchgpt01", utcnow())])
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(UsageRecord)) == 0


def test_one_batch_moves_every_listing_it_touches_by_its_own_points(database):
    """The trending update is one statement for the whole batch: each listing gets its own GPT's points."""
    gpt_ids = [make_gpt(database, name=f"Helper {n}") for n in range(3)]
    ada, bob = _users(database, 2)
    day = datetime(2026, 10, 5, 12, tzinfo=UTC)
    with database.session() as session:
        before = dict(session.execute(select(Listing.gpt_id, Listing.trending)).all())
    events = [_event("a0", ada, gpt_ids[0], day), _event("b0", bob, gpt_ids[0], day), _event("a1", ada, gpt_ids[1], day),
              _event("a1'", ada, gpt_ids[1], day + timedelta(days=1))]
    with database.session() as session:
        assert batch.ingest(session, events) == 4
    with database.session() as session:
        after = dict(session.execute(select(Listing.gpt_id, Listing.trending)).all())
    weight = trending.weighted
    added = {gpt_ids[0]: [weight(2 * (3.0 + 0.1), day.date())],
             gpt_ids[1]: [weight(3.0 + 0.1, day.date()), weight(3.0 + 0.1, day.date() + timedelta(days=1))], gpt_ids[2]: []}
    assert after == pytest.approx({g: trending.total([before[g], *added[g]]) for g in gpt_ids})  # on a log scale


def test_concurrent_batches_over_many_gpts_never_deadlock(database):
    """Batches sharing listings lock them in one order (trending's set-based update).

    Each worker meters its own day, so the batches share no rollup row (whose locks would
    otherwise queue them up before trending) but all share the listings.
    """
    gpt_ids = [make_gpt(database, name=f"Helper {n}") for n in range(30)]
    user_ids = _users(database, 20)
    first_day = datetime(2026, 10, 5, 12, tzinfo=UTC)

    def worker(n: int) -> int:
        pairs = random.Random(n).sample([(u, g) for u in user_ids for g in gpt_ids], 300)
        with database.session() as session:
            return batch.ingest(session, [_event(f"w{n}:{u}:{g}", u, g, first_day + timedelta(days=n)) for u, g in pairs])

    with ThreadPoolExecutor(6) as pool:
        inserted = sum(pool.map(worker, range(12)))
    with database.session() as session:
        assert inserted == 12 * 300 == sum(session.scalars(select(DailyGptUsage.messages)))
        added = defaultdict(lambda: [0.0])  # a listing starts at log2(1 + 0)
        for row in session.scalars(select(DailyGptUsage)):
            points = trending.activity_points(new_users=row.users, new_conversations=0, messages=row.messages)
            added[row.gpt_id].append(trending.weighted(points, row.day))
        expected = {gpt_id: trending.total(each) for gpt_id, each in added.items()}
        assert dict(session.execute(select(Listing.gpt_id, Listing.trending)).all()) == pytest.approx(expected)


def test_a_conversation_counts_once_on_its_first_metered_reply_and_previews_are_not_rolled_up(database):
    gpt_id = make_gpt(database)
    ada, bob = _users(database, 2)
    now = utcnow()
    first = [{**_event("c1-a", ada, gpt_id, now), "conversation_id": "c1"}, {**_event("c1-b", ada, gpt_id, now), "conversation_id": "c1"},
             {**_event("c2-a", bob, gpt_id, now), "conversation_id": "c2"}, _event("p1", ada, gpt_id, now, source="preview")]
    with database.session() as session:
        conversations_before = session.scalar(select(Listing.conversations).where(Listing.gpt_id == gpt_id))
        assert batch.ingest(session, first) == 4
    with database.session() as session:
        assert batch.ingest(session, [{**_event("c1-c", ada, gpt_id, now), "conversation_id": "c1"},
                                      {**_event("c3-a", bob, gpt_id, now), "conversation_id": "c3"}]) == 2
    with database.session() as session:
        day = session.get(DailyGptUsage, (now.date(), gpt_id))
        assert (day.conversations, day.messages, day.users) == (3, 5, 2)  # c1, c2, c3; the preview is stored, not rolled up
        assert session.get(DailyGptUserUsage, (now.date(), gpt_id, ada)).conversations == 1
        assert session.scalar(select(Listing.conversations).where(Listing.gpt_id == gpt_id)) == conversations_before + 3
        assert session.scalar(select(func.count()).select_from(UsageRecord).where(UsageRecord.source == "preview")) == 1
