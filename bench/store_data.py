"""Synthetic store data for bench/store.py: realistic text, power-law usage, bulk loading.

Words come from the demo catalogue (English and French titles, descriptions and tags),
so queries hit a realistic vocabulary. Usage and ratings follow a power law: a few GPTs
have millions of conversations, most have a handful. Rows are written in bulk, straight
to the tables the services write, then indexed the way agora.store.search_index does.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import random
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from agora.demo.catalogue import entries
from agora.gpts.ids import ALPHABET
from agora.store import ranking
from agora.store.categories import DEFAULT_CATEGORIES

WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
BATCH = 20_000


@dataclass
class Vocabulary:
    title_en: list[str]
    title_fr: list[str]
    text_en: list[str]
    text_fr: list[str]
    tags: list[str]
    common: list[str]  # frequent words: the heavy queries
    rare: list[str]  # words that appear in few GPTs


def vocabulary() -> Vocabulary:
    title_en, title_fr, text_en, text_fr, tags = Counter(), Counter(), Counter(), Counter(), Counter()
    for entry in entries():
        c = entry.content
        fr = c.localized.get("fr")
        title_en.update(WORD.findall(c.name.lower()))
        text_en.update(WORD.findall(c.description.lower()))
        tags.update(t.lower() for t in c.tags)
        if fr:
            title_fr.update(WORD.findall(fr.name.lower()))
            text_fr.update(WORD.findall(fr.description.lower()))
    ranked = [w for w, _ in (title_en + text_en).most_common()]
    return Vocabulary(
        list(title_en), list(title_fr), list(text_en), list(text_fr), list(tags),
        common=ranked[:60], rare=ranked[-400:],
    )


def gpt_id(n: int) -> str:
    """Distinct ids without storing a set: n times a prime, modulo 62^10, in base 62."""
    value, chars = (n * 1_000_000_007) % (62**10), []
    for _ in range(10):
        value, digit = divmod(value, 62)
        chars.append(ALPHABET[digit])
    return "g-" + "".join(chars)


def _words(rng: random.Random, pool: list[str], low: int, high: int) -> str:
    return " ".join(rng.choices(pool, k=rng.randint(low, high)))


def rows(count: int, builders: int, category_ids: dict[str, int], seed: int = 7) -> Iterator[dict]:
    rng, vocab = random.Random(seed), vocabulary()
    slugs = [c[0] for c in DEFAULT_CATEGORIES]
    weights = [9, 8, 5, 12, 8, 6, 5, 4, 3, 3, 3, 3]
    ranks = list(range(count))
    rng.shuffle(ranks)  # popularity rank, independent of insertion order
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(count):
        conversations = int(2_000_000 / (ranks[n] + 1) ** 1.05)
        rating_count = conversations // 40 + (1 if rng.random() < 0.3 else 0)
        rating_sum = round(min(5.0, max(1.0, rng.gauss(4.2, 0.5))) * rating_count)
        has_fr = rng.random() < 0.7
        name = _words(rng, vocab.title_en, 2, 4).title()[:60]
        yield {
            "n": n + 1,
            "id": gpt_id(n + 1),
            "builder": 1 + rng.randrange(builders),
            "category": category_ids[rng.choices(slugs, weights)[0]],
            "slug": None,
            "name": name,
            "description": _words(rng, vocab.text_en, 8, 18).capitalize()[:300],
            "name_fr": _words(rng, vocab.title_fr, 2, 4).title()[:60] if has_fr else "",
            "description_fr": _words(rng, vocab.text_fr, 8, 18).capitalize()[:300] if has_fr else "",
            "tags": " ".join(rng.sample(vocab.tags, 3)),
            "has_fr": has_fr,
            "published_at": start + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60)),
            "conversations": conversations,
            "rating_sum": rating_sum,
            "rating_count": rating_count,
            "rating_score": ranking.bayesian_rating(rating_sum, rating_count),
            "trending": math.log2(1 + conversations * rng.random()),  # stored on a log scale (store.trending)
            "search_key": ranking.search_key(n + 1, conversations),
        }


def content_json(row: dict, slug: str) -> str:
    """The published version's content, as the builder stores it (kept short: instructions
    are not searched, and the page reads one version)."""
    content = {
        "name": row["name"], "description": row["description"],
        "instructions": f"You are {row['name']}. {row['description']}",
        "welcome_message": f"Hello! I am {row['name']}.", "starters": [f"What can {row['name']} do?"],
        "avatar": "🤖", "category": slug, "tags": row["tags"].split(), "language": "en",
        "localized": {"fr": {"name": row["name_fr"], "description": row["description_fr"]}} if row["has_fr"] else {},
    }
    return json.dumps(content, ensure_ascii=False)


def batches(iterable, size: int = BATCH):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


LISTING_COLUMNS = (
    "id", "gpt_id", "search_key", "category_id", "builder_id", "builder_name", "name", "description", "name_fr",
    "description_fr", "avatar", "tags", "has_en", "has_fr", "published_at", "conversations", "rating_sum",
    "rating_count", "rating_score", "trending",
)


def load(database, count: int, progress=lambda n: None) -> None:
    """Write `count` public GPTs with their versions, builders and listings, then index them.

    Rows go straight to the driver (executemany on SQLite, COPY on PostgreSQL): the ORM's
    per-row work would take longer than everything else together at millions of rows.
    Secondary indexes are dropped for the load and rebuilt once at the end, as a restore does.
    """
    from sqlalchemy import select

    from agora.gpts.models import Gpt, GptVersion
    from agora.store.models import Category

    pg = database.dialect == "postgresql"
    builders = max(100, count // 40)
    with database.engine.begin() as conn:
        categories = dict(conn.execute(select(Category.slug, Category.id)).all())
    slug_of = {v: k for k, v in categories.items()}
    gpt_columns = [c.name for c in Gpt.__table__.columns]
    version_columns = [c.name for c in GptVersion.__table__.columns if c.name != "id"]
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if not pg:
            cursor.execute("PRAGMA synchronous=OFF")
        indexes = _drop_indexes(cursor, pg, ("gpts", "gpt_versions", "store_listings"))
        write = _copy_writer(cursor) if pg else _sqlite_writer(cursor)
        write("users", ["id", "email", "display_name", "handle", "password_hash", "role", "bio", "website", "created_at"],
              [(i, f"builder{i}@bench.agora.example", f"Builder {i}", f"builder-{i}", None, "user", "", "", _when(START, pg))
               for i in range(1, builders + 1)])
        write("workspaces", ["id", "name", "kind", "owner_id", "created_at"],
              [(i, f"Builder {i}", "personal", i, _when(START, pg)) for i in range(1, builders + 1)])
        write("memberships", ["workspace_id", "user_id", "role"], [(i, i, "owner") for i in range(1, builders + 1)])
        raw.commit()
        shapes = Shapes(slug_of, gpt_columns, version_columns, pg)
        generated = in_background(lambda: (prepare(b, shapes) for b in batches(rows(count, builders, categories))))
        if pg:
            _write_in_parallel(database, generated, shapes, progress)
            _build_in_parallel(database, indexes)
        else:
            for gpts, versions, listings in generated:
                write("gpts", gpt_columns, gpts)
                write("gpt_versions", version_columns, versions)
                write("store_listings", list(LISTING_COLUMNS), listings)
                raw.commit()
                progress(len(listings))
            for statement in indexes:
                cursor.execute(statement)
        if pg:
            for table in ("users", "workspaces", "store_listings"):
                cursor.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        raw.commit()
    finally:
        raw.close()
    finish(database)


@dataclass(frozen=True)
class Shapes:
    """What turning generated GPTs into table rows needs to know."""

    slug_of: dict[int, str]
    gpt_columns: list[str]
    version_columns: list[str]
    pg: bool


def prepare(batch: list[dict], shapes: Shapes) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Rows for gpts, gpt_versions and store_listings."""
    gpts, versions, listings = [], [], []
    for r in batch:
        content = content_json(r, shapes.slug_of[r["category"]])
        published = _when(r["published_at"], shapes.pg)
        values = {"id": r["id"], "owner_id": r["builder"], "workspace_id": r["builder"], "visibility": "public",
                  "allow_forks": True, "draft": content, "published_version": 1, "name": r["name"],
                  "category_id": r["category"], "search_text": "", "published_at": published,
                  "created_at": published, "updated_at": published}
        gpts.append(tuple(values.get(c) for c in shapes.gpt_columns))
        versions.append(tuple({"gpt_id": r["id"], "number": 1, "content": content, "note": "",
                               "author_id": r["builder"], "created_at": published}[c] for c in shapes.version_columns))
        listing = {**r, "gpt_id": r["id"], "id": r["n"], "category_id": r["category"], "builder_id": r["builder"],
                   "builder_name": f"Builder {r['builder']}", "avatar": "🤖", "has_en": True, "published_at": published}
        listings.append(tuple(listing[c] for c in LISTING_COLUMNS))
    return gpts, versions, listings


def in_background(produce, depth: int = 2):
    """Run the generator `produce()` in a child process, `depth` items ahead of the consumer:
    generating text in Python then overlaps with the database writing the previous batch."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(depth)

    def feed() -> None:
        for item in produce():
            queue.put(item)
        queue.put(None)

    child = context.Process(target=feed, daemon=True)
    child.start()
    try:
        while (item := queue.get()) is not None:
            yield item
    finally:
        child.kill()
        child.join()


def _drop_indexes(cursor, pg: bool, tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' secondary indexes (not primary keys or unique constraints) and
    return the statements that re-create them: one sorted build beats millions of inserts."""
    if pg:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND i.schemaname = 'public' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (list(tables),),
        )
    else:
        marks = ", ".join("?" for _ in tables)
        cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})", tables)
    found = cursor.fetchall()
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


def _write_in_parallel(database, generated, shapes: Shapes, progress, writers: int = 2) -> None:
    """Write PostgreSQL's batches on two connections at once: computing the search vectors
    keeps a server process busy, and the generator needs only part of the other core."""
    from concurrent.futures import ThreadPoolExecutor

    lock = threading.Lock()
    failed = threading.Event()  # one writer's error stops the other: no point loading on

    def work() -> None:
        raw = database.engine.raw_connection()
        try:
            cursor = raw.cursor()
            write = _copy_writer(cursor)
            _create_listing_stage(cursor)
            while not failed.is_set():
                with lock:
                    batch = next(generated, None)
                if batch is None:
                    return
                gpts, versions, listings = batch
                write("gpts", shapes.gpt_columns, gpts)
                write("gpt_versions", shapes.version_columns, versions)
                write("bench_listing_stage", list(LISTING_COLUMNS), listings)
                _index_stage(cursor)
                raw.commit()
                with lock:
                    progress(len(listings))
        except BaseException:
            failed.set()
            raise
        finally:
            raw.close()

    with ThreadPoolExecutor(writers) as pool:
        for done in [pool.submit(work) for _ in range(writers)]:
            done.result()  # a writer's error ends the load


def _build_in_parallel(database, statements: list[str], workers: int = 2) -> None:
    """Build PostgreSQL indexes two at a time, one connection each: an index build uses one
    core, and the GIN ones (eight partial indexes, migration 0011) are most of the time."""
    from concurrent.futures import ThreadPoolExecutor

    def build(statement: str) -> None:
        raw = database.engine.raw_connection()
        try:
            raw.cursor().execute(statement)
            raw.commit()
        finally:
            raw.close()

    ordered = sorted(statements, key=lambda s: "gin" not in s.lower())  # the long ones first
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(build, ordered))


def _create_listing_stage(cursor) -> None:
    cursor.execute(
        f"CREATE TEMP TABLE bench_listing_stage AS SELECT {', '.join(LISTING_COLUMNS)} FROM store_listings WITH NO DATA"
    )


def _index_stage(cursor) -> None:
    """Move a staged batch into store_listings with its search vectors, in one statement
    (computing them by UPDATE afterwards, as the service does one listing at a time, would
    write every row twice). The vectors' expressions read the staged row's columns."""
    from agora.store.search_postgres import PostgresIndex

    columns = ", ".join(LISTING_COLUMNS)
    cursor.execute(
        f"INSERT INTO store_listings ({columns}, search_vector, name_vector) "
        f"SELECT {columns}, {PostgresIndex.VECTOR}, {PostgresIndex.NAME_VECTOR} FROM bench_listing_stage"
    )
    cursor.execute("TRUNCATE bench_listing_stage")


START = datetime(2024, 1, 1, tzinfo=UTC)


def _when(moment: datetime, pg: bool):
    # SQLAlchemy keeps SQLite datetimes as naive UTC text in this exact format.
    return moment if pg else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_writer(cursor):
    def write(table: str, columns: list[str], rows: list[tuple]) -> None:
        # Agora's connections leave transactions to SQLAlchemy (pysqlite's autocommit mode):
        # without this BEGIN every row would be a transaction of its own. The batch's
        # raw.commit() ends it.
        if not cursor.connection.in_transaction:
            cursor.execute("BEGIN")
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    return write


def _copy_writer(cursor):
    def write(table: str, columns: list[str], rows: list[tuple]) -> None:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    return write


def finish(database) -> None:
    """Build what the services keep up to date one GPT at a time: the SQLite full-text
    index, statistics and the category counters."""
    from sqlalchemy import func, select, text, update

    from agora.store.models import Category, Listing

    with database.engine.begin() as conn:
        if database.dialect != "postgresql":
            for index in ("store_fts", "store_names_fts"):
                conn.execute(text(f"INSERT INTO {index}({index}) VALUES ('rebuild')"))
        conn.execute(text("ANALYZE"))
    with database.session() as session:
        # Every category's counter from the listings, which the services keep one GPT at a time.
        counted = select(func.count()).where(Listing.category_id == Category.id).scalar_subquery()
        session.execute(update(Category).values(listing_count=counted))
