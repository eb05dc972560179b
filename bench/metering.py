"""Metering benchmark: batch ingestion, replays, and daily/monthly rollups at scale.

    .venv/bin/python bench/metering.py --events 1000000 [--backend sqlite|postgresql|both] [--batch 5000]

PostgreSQL comes from AGORA_BENCH_POSTGRES_URL (a database this script may wipe).
Ingests usage events in batches through agora.metering.batch.ingest (the incremental
rollups included), replays 10 % of them and checks that no count moved, then times a full
daily rollup from the events and a monthly rollup from the daily table, and checks they
agree with the incremental rollups. Prints a Markdown row per backend and writes
bench/results/metering-<backend>-<n>.json. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

from agora import migrate
from agora.accounts.models import User, Workspace
from agora.db import Database
from agora.gpts.models import Gpt
from agora.metering import batch
from agora.metering.models import DailyGptUsage, UsageRecord

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results"
MONTH = date(2026, 10, 1)


def fresh_database(backend: str) -> Database:
    if backend == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='agora-bench-')}/metering.db"
    else:
        url = os.environ.get("AGORA_BENCH_POSTGRES_URL") or sys.exit("set AGORA_BENCH_POSTGRES_URL")
    database = Database(url)
    with database.engine.begin() as connection:
        if backend == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(database)
    return database


def populate(database: Database, *, users: int, gpts: int) -> tuple[list[int], list[str]]:
    now = datetime.now(UTC)
    with database.session() as session:
        session.execute(insert(User), [{"email": f"u{n}@bench.test", "display_name": f"U{n}", "handle": f"u{n}", "password_hash": None,
                                        "role": "user", "bio": "", "website": "", "created_at": now} for n in range(users)])
        builder = session.scalar(select(User.id).order_by(User.id).limit(1))
        workspace = session.scalar(insert(Workspace).values(name="bench", kind="personal", owner_id=builder, created_at=now).returning(Workspace.id))
        gpt_ids = [f"g-bench{n:06d}" for n in range(gpts)]
        session.execute(insert(Gpt), [{"id": g, "owner_id": builder, "workspace_id": workspace, "visibility": "public", "allow_forks": False,
                                       "draft": {}, "name": g, "search_text": "", "created_at": now, "updated_at": now} for g in gpt_ids])
        user_ids = list(session.scalars(select(User.id)))
    return user_ids, gpt_ids


def events(n: int, user_ids: list[int], gpt_ids: list[str], seed: int = 7):
    rng = random.Random(seed)
    start = datetime(MONTH.year, MONTH.month, 1, tzinfo=UTC)
    step = 30 * 86400 / n  # events arrive in time order over the month, as they do in production
    for i in range(n):
        yield {"idempotency_key": f"bench:{i}", "user_id": rng.choice(user_ids), "workspace_id": None, "plan_code": "plus",
               "gpt_id": rng.choice(gpt_ids), "gpt_version": 1, "builder_id": None, "model": "bench", "source": "api",
               "conversation_id": None, "message_id": None, "status": "complete", "prompt_tokens": rng.randint(10, 2000),
               "completion_tokens": rng.randint(10, 800), "latency_ms": rng.randint(50, 5000),
               "created_at": start + timedelta(seconds=i * step)}


def ingest_all(database: Database, stream, batch_size: int) -> tuple[int, float]:
    inserted, started, chunk = 0, time.perf_counter(), []
    for event in stream:
        chunk.append(event)
        if len(chunk) == batch_size:
            with database.session() as session:
                inserted += batch.ingest(session, chunk)
            chunk = []
    if chunk:
        with database.session() as session:
            inserted += batch.ingest(session, chunk)
    return inserted, time.perf_counter() - started


def counts(database: Database) -> tuple[int, int, int]:
    with database.session() as session:
        return (session.scalar(select(func.count()).select_from(UsageRecord)), session.scalar(select(func.sum(DailyGptUsage.messages))),
                session.scalar(select(func.sum(DailyGptUsage.users))))


def run(backend: str, n: int, batch_size: int, users: int, gpts: int) -> dict:
    database = fresh_database(backend)
    user_ids, gpt_ids = populate(database, users=users, gpts=gpts)
    inserted, ingest_s = ingest_all(database, events(n, user_ids, gpt_ids), batch_size)
    before = counts(database)
    replay_n = n // 10
    replayed, replay_s = ingest_all(database, (e for i, e in enumerate(events(n, user_ids, gpt_ids)) if i % 10 == 0), batch_size)
    after = counts(database)
    start, end = datetime(MONTH.year, MONTH.month, 1, tzinfo=UTC), datetime(MONTH.year, MONTH.month + 1, 1, tzinfo=UTC)
    with database.session() as session:
        t = time.perf_counter()
        daily = batch.daily_totals(session, start, end)
        daily_s = time.perf_counter() - t
        t = time.perf_counter()
        monthly = batch.monthly_totals(session, MONTH, date(MONTH.year, MONTH.month + 1, 1))
        monthly_s = time.perf_counter() - t
        incremental = {(str(r.day), r.gpt_id): (r.messages, r.users) for r in session.scalars(select(DailyGptUsage))}
    recomputed = {(str(d), g): (m, u) for d, g, m, u, _p, _c in daily}
    result = {
        "backend": backend, "events": n, "batch": batch_size, "inserted": inserted, "ingest_seconds": round(ingest_s, 2),
        "events_per_second": round(inserted / ingest_s), "replayed": replay_n, "replay_inserted": replayed,
        "replay_seconds": round(replay_s, 2), "counts_unchanged": before == after, "daily_rollup_seconds": round(daily_s, 2),
        "daily_rows": len(daily), "monthly_rollup_seconds": round(monthly_s, 2), "monthly_rows": len(monthly),
        "incremental_matches_recomputed": incremental == recomputed,
    }
    database.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--gpts", type=int, default=2_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    print("| backend | events | events/s | replay 10 % | counts unchanged | daily rollup | monthly rollup | rollups agree |")
    print("|---|---|---|---|---|---|---|---|")
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        r = run(backend, args.events, args.batch, args.users, args.gpts)
        (RESULTS / f"metering-{backend}-{args.events}.json").write_text(json.dumps(r, indent=2))
        print(f"| {backend} | {r['events']:,} | {r['events_per_second']:,} | {r['replay_seconds']} s, {r['replay_inserted']} new | "
              f"{r['counts_unchanged']} | {r['daily_rollup_seconds']} s ({r['daily_rows']:,} rows) | "
              f"{r['monthly_rollup_seconds']} s ({r['monthly_rows']:,} rows) | {r['incremental_matches_recomputed']} |", flush=True)


if __name__ == "__main__":
    main()
