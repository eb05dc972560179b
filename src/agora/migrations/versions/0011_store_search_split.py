"""Store search split for speed at millions of GPTs: a names-only FTS5 table on SQLite
for type-ahead, and GIN indexes split by popularity on PostgreSQL

SQLite: type-ahead filtered the whole-document FTS5 index down to names, reading every
document list of the words a prefix starts (175 ms p95 at 3 M GPTs). `store_names_fts`
indexes the names alone, without stemming (a prefix must match the word as typed), keyed
by search_key like `store_fts` so matches come back most used first.

PostgreSQL: each search read is confined to one popularity tier group (migration 0009),
but one GIN index over every listing made each such read walk the rarest word's whole
match list, once per tier group: a query of two or three common words read it a dozen
times. The search and name vectors' GIN indexes become partial, one per band of tiers
(conversations 15 or more, 3 to 14, 1 or 2, none), so a read walks only its band's share.
The condition is on the tier expression, which no b-tree serves, so the planner can only
answer it from the band's GIN index (store.search_index.band_of builds the same text).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIER_BITS = 40  # agora.store.ranking.TIER_BITS
BANDS = ((0, 27), (28, 29), (30, 30), (31, 31))  # agora.store.search_index.BANDS
VECTORS = ("search_vector", "name_vector")


def band_condition(low: int, high: int) -> str:
    tier = f"(search_key >> {TIER_BITS})"
    return f"{tier} >= {low} AND {tier} <= {high}"


# Kept in step with agora.store.search_index.SqliteIndex (a migration must not import app code).
SQLITE_NAMES_FTS = (
    "CREATE VIRTUAL TABLE store_names_fts USING fts5(name, name_fr, "
    "content='store_listings', content_rowid='search_key', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute(SQLITE_NAMES_FTS)
        op.execute("INSERT INTO store_names_fts(store_names_fts) VALUES ('rebuild')")
        return
    for vector in VECTORS:
        for low, high in BANDS:
            op.execute(
                f"CREATE INDEX ix_store_listings_{vector}_t{low}_{high} ON store_listings "
                f"USING gin ({vector}) WHERE {band_condition(low, high)}"
            )
        op.drop_index(f"ix_store_listings_{vector}", table_name="store_listings")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS store_names_fts")
        return
    for vector in VECTORS:
        op.create_index(f"ix_store_listings_{vector}", "store_listings", [vector], postgresql_using="gin")
        for low, high in BANDS:
            op.drop_index(f"ix_store_listings_{vector}_t{low}_{high}", table_name="store_listings")
