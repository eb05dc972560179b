"""Metering benchmark: usage events through the usage writer as the product runs it, replays, and rollups at scale.

    .venv/bin/python bench/metering.py --events 10000000 [--backend sqlite|postgresql|both] [--workers 1]

PostgreSQL comes from AGORA_BENCH_POSTGRES_URL (a database this script may wipe).
Hands usage events one by one to agora.metering.writer.UsageWriter, as replies do (its
thread writes what has queued in one transaction through agora.metering.batch.ingest, the
incremental rollups and the store's trending included: every GPT has a store listing), the
producer waiting while the writer's backlog is full as the product refuses replies then;
replays 10 % of them the same way and checks that no count moved, then times a full daily
rollup from the events and a monthly rollup from the daily table, and checks they agree
with the incremental rollups. Prints a Markdown row per backend and writes
bench/results/metering-<backend>-<n>.json. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
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
from agora.metering.models import DailyGptUsage, UsageRecord
from agora.metering.writer import UsageWriter
from agora.store.models import Listing

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.metering.totals: the rollups recomputed from the events, as the tests check them
from tests.metering import totals  # noqa: E402

RESULTS = ROOT / "bench" / "results"
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
        session.execute(insert(Listing), [{"gpt_id": g, "builder_id": builder, "builder_name": "U0", "name": g, "published_at": now}
                                          for g in gpt_ids])
        user_ids = list(session.scalars(select(User.id)))
    return user_ids, gpt_ids


def events(n: int, user_ids: list[int], gpt_ids: list[str], batch_size: int, every: int = 1, seed: int = 7):
    """Batches of events (every `every`-th one), the same ones on each call, in time order over the month.

    Random draws are made a batch at a time with `choices`, and every event shares one
    template, so making an event costs about a microsecond: generation stays a small,
    separately reported part of the run.
    """
    start = datetime(MONTH.year, MONTH.month, 1, tzinfo=UTC)
    step = 30 * 86400 / n  # events arrive in time order over the month, as they do in production
    template = {"workspace_id": None, "plan_code": "plus", "gpt_version": 1, "builder_id": None, "model": "bench", "source": "api",
                "conversation_id": None, "message_id": None, "status": "complete"}
    prompt, completion, latency = range(10, 2001), range(10, 801), range(50, 5001)
    for first in range(0, n, batch_size):
        rng = random.Random(seed * 1_000_003 + first)
        size = min(batch_size, n - first)
        columns = zip(range(first, first + size), rng.choices(user_ids, k=size), rng.choices(gpt_ids, k=size), rng.choices(prompt, k=size),
                      rng.choices(completion, k=size), rng.choices(latency, k=size))
        yield [{**template, "idempotency_key": f"bench:{i}", "user_id": u, "gpt_id": g, "prompt_tokens": p, "completion_tokens": c,
                "latency_ms": ms, "created_at": start + timedelta(seconds=i * step)}
               for i, u, g, p, c, ms in columns if i % every == 0]


def ingest_all(database: Database, batches, workers: int = 1) -> dict:
    """Hand every event to usage writers (`workers` of them, each with its own thread and connection, as that many
    Agora workers would hold) one by one, as replies do, and wait until all are written.

    Returns the wall and CPU seconds from the first event handed over to the last one written
    (generating the events excluded), and seconds generating. CPU is this process's plus, on
    PostgreSQL, its server backends': on a machine shared with other work, events per CPU
    second says what the code costs when wall time cannot.
    """
    writers = [UsageWriter(database) for _ in range(workers)]
    before = counts(database)[0]
    generating = generating_cpu = 0.0
    handed = 0
    server_cpu, cpu, wall = backend_cpu_seconds(database), time.process_time(), time.perf_counter()
    for n, chunk in enumerate(_timed(batches)):
        generating, generating_cpu = generating + chunk.seconds, generating_cpu + chunk.cpu_seconds
        writer = writers[n % workers]
        for event in chunk.events:
            while not writer.accepting():  # the product refuses new replies then (503): the producer waits instead
                time.sleep(0.001)
            writer.submit(event)
        handed += len(chunk.events)
    for writer in writers:
        writer.close()
    seconds = time.perf_counter() - wall - generating
    cpu = time.process_time() - cpu - generating_cpu + backend_cpu_seconds(database) - server_cpu
    return {"inserted": counts(database)[0] - before, "handed": handed, "seconds": seconds, "cpu_seconds": cpu, "generate_seconds": generating}


class _Chunk:
    def __init__(self, events: list[dict], seconds: float, cpu_seconds: float) -> None:
        self.events, self.seconds, self.cpu_seconds = events, seconds, cpu_seconds


def _timed(batches):
    """The batches of generated events, each with the wall and CPU seconds generating it took (this thread's
    CPU only: the writers' threads work meanwhile)."""
    batches = iter(batches)
    while True:
        started, cpu = time.perf_counter(), time.thread_time()
        events = next(batches, None)
        if events is None:
            return
        yield _Chunk(events, time.perf_counter() - started, time.thread_time() - cpu)


def backend_cpu_seconds(database: Database) -> float:
    """CPU used so far by the PostgreSQL server processes working for this database (0 on SQLite)."""
    if database.dialect != "postgresql":
        return 0.0
    marker = f" {database.engine.url.database} ".encode()
    total = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().startswith(b"postgres: ") and marker in cmdline.read_bytes():
                fields = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            continue  # the process ended meanwhile
    return total / os.sysconf("SC_CLK_TCK")


def counts(database: Database) -> tuple[int, int, int]:
    with database.session() as session:
        return (session.scalar(select(func.count()).select_from(UsageRecord)), session.scalar(select(func.sum(DailyGptUsage.messages))),
                session.scalar(select(func.sum(DailyGptUsage.users))))


def run(backend: str, n: int, batch_size: int, users: int, gpts: int, workers: int, drop: list[str]) -> dict:
    load_at_start = os.getloadavg()
    database = fresh_database(backend)
    with database.engine.begin() as connection:
        for statement in drop:  # what a schema change would buy, measured before a migration makes it
            connection.execute(text(statement))
    user_ids, gpt_ids = populate(database, users=users, gpts=gpts)
    wall = time.perf_counter()
    ingested = ingest_all(database, events(n, user_ids, gpt_ids, batch_size), workers)
    wall = time.perf_counter() - wall
    inserted = ingested["inserted"]
    before = counts(database)
    replayed = ingest_all(database, events(n, user_ids, gpt_ids, batch_size, every=10), workers)
    after = counts(database)
    start, end = datetime(MONTH.year, MONTH.month, 1, tzinfo=UTC), datetime(MONTH.year, MONTH.month + 1, 1, tzinfo=UTC)
    with database.session() as session:
        t = time.perf_counter()
        daily = totals.daily_totals(session, start, end)
        daily_s = time.perf_counter() - t
        # The monthly rollup has a row per GPT and user (millions here): it is evaluated in the
        # database and summarised, so the figure is the rollup's, not Python receiving rows.
        monthly = totals.monthly_totals_query(MONTH, date(MONTH.year, MONTH.month + 1, 1)).subquery()
        t = time.perf_counter()
        monthly_rows, monthly_messages, _tokens = session.execute(
            select(func.count(), func.sum(monthly.c.messages), func.sum(monthly.c.tokens)).select_from(monthly)).one()
        monthly_s = time.perf_counter() - t
        incremental = {(str(r.day), r.gpt_id): (r.messages, r.users, r.prompt_tokens, r.completion_tokens) for r in session.scalars(select(DailyGptUsage))}
    recomputed = {(str(d), g): (m, u, p, c) for d, g, m, u, p, c in daily}
    result = {
        "backend": backend, "events": n, "batch": batch_size, "workers": workers, "users": users, "gpts": gpts, "schema_changes": drop, "inserted": inserted,
        "ingest_seconds": round(ingested["seconds"], 2), "events_per_second": round(inserted / ingested["seconds"]),
        "ingest_cpu_seconds": round(ingested["cpu_seconds"], 2), "events_per_cpu_second": round(inserted / ingested["cpu_seconds"]),
        "generate_seconds": round(ingested["generate_seconds"], 2), "wall_events_per_second": round(inserted / wall),
        "replayed": replayed["handed"], "replay_inserted": replayed["inserted"], "replay_seconds": round(replayed["seconds"], 2),
        "counts_unchanged": before == after, "daily_rollup_seconds": round(daily_s, 2), "daily_rows": len(daily),
        "monthly_rollup_seconds": round(monthly_s, 2), "monthly_rows": monthly_rows, "monthly_messages_equal_events": monthly_messages == inserted,
        "incremental_matches_recomputed": incremental == recomputed, "load_average_start": load_at_start, "load_average_end": os.getloadavg(),
    }
    database.dispose()
    if backend == "sqlite":
        shutil.rmtree(Path(database.engine.url.database).parent)  # gigabytes at 10 M events
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000, help="events generated at a time (the writer batches what queues)")
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--gpts", type=int, default=2_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="usage writers (as many Agora workers hold), each with its own thread and connection")
    parser.add_argument("--without-index", action="append", default=[], metavar="NAME", help="drop this index first (an experiment)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    print("| backend | workers | events | ingest events/s | per CPU second | with generation | replay 10 % | counts unchanged | daily rollup | monthly rollup | rollups agree | load average |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        drop = [f"DROP INDEX {name}" for name in args.without_index]
        r = run(backend, args.events, args.batch, args.users, args.gpts, args.workers, drop)
        variant = ("-experiment" if drop else "") + (f"-{args.workers}-workers" if args.workers > 1 else "")
        (RESULTS / f"metering-{backend}-{args.events}{variant}.json").write_text(json.dumps(r, indent=2))
        print(f"| {backend} | {r['workers']} | {r['events']:,} | {r['events_per_second']:,} | {r['events_per_cpu_second']:,} | {r['wall_events_per_second']:,} | "
              f"{r['replayed']:,} in {r['replay_seconds']} s, {r['replay_inserted']} new | {r['counts_unchanged']} | "
              f"{r['daily_rollup_seconds']} s ({r['daily_rows']:,} rows) | {r['monthly_rollup_seconds']} s ({r['monthly_rows']:,} rows) | "
              f"{r['incremental_matches_recomputed'] and r['monthly_messages_equal_events']} | "
              f"{r['load_average_start'][0]:.1f} to {r['load_average_end'][0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
