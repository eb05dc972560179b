"""Store benchmark: search, suggest, category pages, store front and GPT page at scale.

    .venv/bin/python bench/store.py --gpts 3000000 [--backend sqlite|postgresql|both]
        [--pg-cluster DIR [--pg-shared-buffers 8GB]]

Generates that many public GPTs (bench/store_data.py), then measures each operation at
the service layer and over HTTP (a real `agora serve`), with a naive LIKE scan as the
baseline. Prints a Markdown table and writes bench/results/store-<backend>-<n>.json.
Record the figures in docs/benchmarks.md. Not a test: nothing here asserts a time.

With --pg-cluster, PostgreSQL is a private cluster (initdb in DIR, its own port) whose
settings fit the store being measured (shared_buffers sized to it; docs/operations.md),
instead of the shared server with Debian's defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
import store_data  # noqa: E402

from agora import migrate  # noqa: E402
from agora.db import Database  # noqa: E402
from agora.store import browse, front, gpt_page, search  # noqa: E402
from agora.store.caches import StoreCaches  # noqa: E402
from agora.store.models import Category  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99), "qps": len(ordered) / sum(ordered)}


def timed(calls) -> dict[str, float]:
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def query_mix(rng: random.Random, vocab: store_data.Vocabulary, n: int) -> list[str]:
    """A fixed mix: half common words, half rare ones, 1-3 words, English and French."""
    queries = []
    for i in range(n):
        pool = vocab.common if i % 2 == 0 else vocab.rare
        words = rng.choices(pool, k=rng.choice((1, 1, 2, 3)))
        if i % 4 == 3:
            words = rng.choices(vocab.title_fr, k=rng.choice((1, 2)))
        queries.append(" ".join(words))
    return queries


def service_layer(database: Database, queries: list[str], prefixes: list[str], gpt_ids: list[str]) -> dict:
    with database.session() as session:
        categories = list(session.query(Category).filter(Category.hidden.is_(False)))
    results = {}
    caches = StoreCaches()  # as the application holds them (app.state.caches.store)
    # A session (one transaction) per operation, as each request has its own: what one
    # sets for its transaction (a search's planner settings) must not reach the others.
    with database.session() as session:
        results["search"] = timed([lambda q=q: search.search(session, q, caches=caches) for q in queries])
    with database.session() as session:
        results["suggest"] = timed([lambda p=p: search.suggest(session, p, caches) for p in prefixes])
    with database.session() as session:
        results["category page 1"] = timed(
            [lambda c=c: browse.category_page(session, c, sort="trending") for c in categories * 10]
        )
        cursors = {}
        for category in categories:  # walk to page 50 once (not timed), then time page 50
            cursor = None
            for _ in range(49):
                cursor = browse.category_page(session, category, sort="trending", cursor=cursor).next_cursor
            cursors[category.id] = cursor
        results["category page 50"] = timed(
            [lambda c=c: browse.category_page(session, c, sort="trending", cursor=cursors[c.id]) for c in categories * 10]
        )
        caches.front.clear()
        results["store front (uncached)"] = timed([lambda: (caches.front.clear(), front.front(session, caches.front)) for _ in range(20)])
        results["store front"] = timed([lambda: front.front(session, caches.front) for _ in range(500)])
        results["gpt page"] = timed([lambda g=g: gpt_page.read(session, g, None, language="en", caches=caches) for g in gpt_ids])
        results["naive LIKE search (baseline)"] = timed([lambda q=q: naive(session, q) for q in queries[:20]])
    return results


def naive(session, query: str):
    from sqlalchemy import text

    pattern = f"%{query.split()[0]}%"
    return session.execute(
        text("SELECT id FROM store_listings WHERE lower(name) LIKE :p OR lower(description) LIKE :p "
             "ORDER BY conversations DESC LIMIT 20"), {"p": pattern}
    ).all()


def over_http(url: str, queries: list[str], prefixes: list[str], gpt_ids: list[str]) -> dict:
    with httpx.Client(base_url=url, timeout=60) as client:
        client.get("/")  # warm up: first request loads templates
        return {
            "search": timed([lambda q=q: client.get("/api/store/search", params={"q": q}).raise_for_status() for q in queries]),
            "suggest": timed([lambda p=p: client.get("/api/store/suggest", params={"q": p}).raise_for_status() for p in prefixes]),
            "category page 1": timed([lambda: client.get("/store/programming").raise_for_status() for _ in range(100)]),
            "store front": timed([lambda: client.get("/").raise_for_status() for _ in range(200)]),
            "gpt page": timed([lambda g=g: client.get(f"/g/{g}").raise_for_status() for g in gpt_ids[:200]]),
        }


def serve(database_url: str, home: Path) -> tuple[subprocess.Popen, str]:
    port = 8700 + os.getpid() % 200
    env = {**os.environ, "AGORA_HOME": str(home), "AGORA_DATABASE_URL": database_url, "AGORA_LOG_LEVEL": "warning"}
    process = subprocess.Popen([str(Path(sys.executable).parent / "agora"), "serve", "--port", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("agora serve did not start")


def run(backend: str, count: int, pg_url: str, keep: bool, http: bool, tag: str = "") -> dict:
    home = ROOT / "var" / f"bench-store-{backend}-{count}{tag if backend == 'postgresql' else ''}"
    home.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{home / 'agora.db'}" if backend == "sqlite" else pg_url
    database = Database(url)
    fresh = not keep or not (home / "loaded").exists()
    seeding = None
    if fresh:
        reset(database, home)
        migrate.upgrade(database)
        start, done = time.perf_counter(), 0

        def progress(n: int) -> None:
            nonlocal done
            done += n
            print(f"\r  {backend}: {done:,}/{count:,} GPTs", end="", file=sys.stderr, flush=True)

        store_data.load(database, count, progress)
        seeding = time.perf_counter() - start
        (home / "loaded").write_text(str(seeding))
        print(file=sys.stderr)
    else:
        seeding = float((home / "loaded").read_text())
    rng = random.Random(11)
    vocab = store_data.vocabulary()
    queries = query_mix(rng, vocab, 400)
    prefixes = [w[: rng.randint(2, 5)] for w in rng.choices(vocab.title_en + vocab.title_fr, k=400)]
    gpt_ids = [store_data.gpt_id(rng.randint(1, count)) for _ in range(400)]
    report = {"backend": backend, "gpts": count, "seeding_s": seeding, "reused": not fresh,
              "database_mb": size_mb(database, home)}
    report["service"] = service_layer(database, queries, prefixes, gpt_ids)
    if http:
        process, base = serve(url, home)
        try:
            report["http"] = over_http(base, queries, prefixes, gpt_ids)
        finally:
            process.terminate()
            process.wait()
    database.dispose()
    return report


def reset(database: Database, home: Path) -> None:
    from sqlalchemy import text

    if database.dialect == "postgresql":
        with database.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        database.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{home / 'agora.db'}{suffix}").unlink(missing_ok=True)


def size_mb(database: Database, home: Path) -> float:
    from sqlalchemy import text

    if database.dialect == "postgresql":
        with database.engine.connect() as conn:
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar() / 1e6
    return sum(p.stat().st_size for p in home.glob("agora.db*")) / 1e6


def markdown(report: dict) -> str:
    lines = [f"### {report['backend']}, {report['gpts']:,} GPTs",
             f"Seeding {report['seeding_s'] / 60:.1f} min{' (when loaded by an earlier run)' if report.get('reused') else ''};"
             f" database {report['database_mb']:,.0f} MB.", "",
             "| operation | layer | p50 ms | p95 ms | p99 ms | ops/s |", "|---|---|---|---|---|---|"]
    for layer in ("service", "http"):
        for name, r in report.get(layer, {}).items():
            lines.append(f"| {name} | {layer} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['p99_ms']:.2f} | {r['qps']:.0f} |")
    naive_p50 = report["service"]["naive LIKE search (baseline)"]["p50_ms"]
    lines.append(f"\nNaive LIKE scan p50 / Agora search p50: {naive_p50 / report['service']['search']['p50_ms']:.0f}x")
    return "\n".join(lines)


PG_BIN = Path("/usr/lib/postgresql/15/bin")


def private_cluster(directory: Path, shared_buffers: str, port: int) -> str:
    """Start (creating it the first time) a PostgreSQL cluster of our own, tuned for the
    store as docs/operations.md describes; returns its URL. Runs as the postgres user."""
    import shutil

    def as_postgres(*command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True)

    data = directory / "data"
    if not (data / "PG_VERSION").exists():
        directory.mkdir(parents=True, exist_ok=True)
        shutil.chown(directory, "postgres", "postgres")
        as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    settings = {
        "port": str(port), "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{directory}'",
        # The working set (the listings, their GIN indexes) fits in memory, as on any server
        # sized for its data; 2 cores: one parallel worker at most.
        "shared_buffers": shared_buffers, "effective_cache_size": "16GB", "work_mem": "32MB",
        "maintenance_work_mem": "1GB", "max_parallel_workers_per_gather": "1", "random_page_cost": "1.1",
        # A bulk load: fewer, larger checkpoints (durability is unchanged: fsync stays on).
        "max_wal_size": "16GB", "checkpoint_timeout": "30min", "wal_compression": "on",
        "shared_preload_libraries": "'pg_prewarm'",
    }
    conf = data / "postgresql.auto.conf"
    wanted = "".join(f"{k} = {v}\n" for k, v in settings.items())
    changed = not conf.exists() or conf.read_text() != wanted
    conf.write_text(wanted)
    status = subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(data), "status"],
                            capture_output=True)
    # Restart only when the settings changed (shared_buffers needs it): a restart empties
    # the cache, and a --keep run should measure the server as it runs, not just booted.
    if status.returncode != 0 or changed:
        action = "restart" if status.returncode == 0 else "start"
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"), "-m", "fast", "-w", action)
    subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                    "agora_bench_store"], capture_output=True)  # already there on a second run
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/agora_bench_store"


def stop_cluster(directory: Path) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(directory / "data"),
                    "-m", "fast", "stop"], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gpts", type=int, default=100_000, help="how many public GPTs to generate")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("AGORA_BENCH_STORE_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/agora_bench_store"))
    parser.add_argument("--keep", action="store_true", help="reuse data generated by an earlier run of the same size")
    parser.add_argument("--no-http", action="store_true", help="measure the service layer only")
    parser.add_argument("--pg-cluster", type=Path, help="run PostgreSQL as a private, tuned cluster in this directory")
    parser.add_argument("--pg-shared-buffers", default="8GB", help="the private cluster's shared_buffers (size it to the store)")
    parser.add_argument("--pg-port", type=int, default=5497, help="the private cluster's port")
    parser.add_argument("--stop-cluster", action="store_true", help="stop the private cluster when done")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    pg_url = args.pg_url
    if args.pg_cluster and args.backend != "sqlite":
        pg_url = private_cluster(args.pg_cluster.resolve(), args.pg_shared_buffers, args.pg_port)
    try:
        for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
            report = run(backend, args.gpts, pg_url, args.keep, not args.no_http, "-cluster" if args.pg_cluster else "")
            report["postgresql"] = (f"private cluster, shared_buffers {args.pg_shared_buffers}" if args.pg_cluster
                                    else "shared server") if backend == "postgresql" else None
            (RESULTS / f"store-{backend}-{args.gpts}.json").write_text(json.dumps(report, indent=2))
            print(markdown(report), flush=True)
    finally:
        if args.pg_cluster and args.stop_cluster and args.backend != "sqlite":
            stop_cluster(args.pg_cluster.resolve())


if __name__ == "__main__":
    main()
