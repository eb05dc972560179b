"""Synthetic store data for bench/store.py: realistic text, power-law usage, bulk loading.

Words come from the demo catalogue (English and French titles, descriptions and tags),
so queries hit a realistic vocabulary. Usage and ratings follow a power law: a few GPTs
have millions of conversations, most have a handful. Rows are written in bulk, straight
to the tables the services write, then indexed the way agora.store.search_index does.
"""

from __future__ import annotations

import json
import random
import re
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
            "trending": conversations * rng.random(),
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
    """Write `count` public GPTs with their versions, builders and listings, then index them."""
    from sqlalchemy import insert, select, text

    from agora.accounts.models import Membership, User, Workspace
    from agora.gpts.models import Gpt, GptVersion
    from agora.store.models import Category

    pg = database.dialect == "postgresql"
    builders = max(100, count // 40)
    with database.engine.begin() as conn:
        categories = dict(conn.execute(select(Category.slug, Category.id)).all())
        slug_of = {v: k for k, v in categories.items()}
        for batch in batches(range(1, builders + 1)):
            conn.execute(insert(User), [
                {"id": i, "email": f"builder{i}@bench.agora.example", "display_name": f"Builder {i}",
                 "handle": f"builder-{i}", "password_hash": None, "role": "user", "bio": "", "website": ""}
                for i in batch])
            conn.execute(insert(Workspace), [{"id": i, "name": f"Builder {i}", "kind": "personal", "owner_id": i} for i in batch])
            conn.execute(insert(Membership), [{"workspace_id": i, "user_id": i, "role": "owner"} for i in batch])
        if pg:
            conn.execute(text("SELECT setval('users_id_seq', :n), setval('workspaces_id_seq', :n)"), {"n": builders})
    for batch in batches(rows(count, builders, categories)):
        with database.engine.begin() as conn:
            gpts, versions, listings = [], [], []
            for r in batch:
                content = json.loads(content_json(r, slug_of[r["category"]]))
                gpts.append({"id": r["id"], "owner_id": r["builder"], "workspace_id": r["builder"], "visibility": "public",
                             "allow_forks": True, "draft": content, "published_version": 1, "name": r["name"],
                             "category_id": r["category"], "search_text": "", "published_at": r["published_at"]})
                versions.append({"gpt_id": r["id"], "number": 1, "content": content, "note": "", "author_id": r["builder"]})
                listings.append({**r, "gpt_id": r["id"], "id": r["n"], "category_id": r["category"], "builder_id": r["builder"],
                                 "builder_name": f"Builder {r['builder']}", "avatar": "🤖", "has_en": True})
            conn.execute(insert(Gpt), gpts)
            conn.execute(insert(GptVersion), versions)
            columns = ", ".join(LISTING_COLUMNS)
            marks = ", ".join(f":{c}" for c in LISTING_COLUMNS)
            conn.execute(text(f"INSERT INTO store_listings ({columns}) VALUES ({marks})"),
                         [{c: l[c] for c in LISTING_COLUMNS} for l in listings])
        progress(len(batch))
    index(database)


def index(database) -> None:
    """Index every listing exactly as agora.store.search_index does one at a time."""
    from sqlalchemy import text

    from agora.store.search_index import FTS_COLUMNS, PostgresIndex
    from agora.text import fold

    with database.engine.begin() as conn:
        if database.dialect == "postgresql":
            conn.execute(text("DROP INDEX IF EXISTS ix_store_listings_search_vector, ix_store_listings_name_vector"))
            vector = PostgresIndex.VECTOR + ", name_vector = " + PostgresIndex.NAME_VECTOR
            last = 0
            while True:  # texts are accent-folded in Python, like the service does
                chunk = conn.execute(text(f"SELECT id, {', '.join(FTS_COLUMNS)} FROM store_listings WHERE id > :last ORDER BY id LIMIT 20000"), {"last": last}).all()
                if not chunk:
                    break
                conn.execute(text(f"UPDATE store_listings SET search_vector = {vector} WHERE id = :id"),
                             [{"id": row[0], **{c: fold(v or "") for c, v in zip(FTS_COLUMNS, row[1:])}} for row in chunk])
                last = chunk[-1][0]
            conn.execute(text("CREATE INDEX ix_store_listings_search_vector ON store_listings USING gin (search_vector)"))
            conn.execute(text("CREATE INDEX ix_store_listings_name_vector ON store_listings USING gin (name_vector)"))
            conn.execute(text("SELECT setval('store_listings_id_seq', (SELECT max(id) FROM store_listings))"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("INSERT INTO store_fts(store_fts) VALUES ('rebuild')"))
            conn.execute(text("ANALYZE"))
