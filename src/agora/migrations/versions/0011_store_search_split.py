"""Store search split for speed at millions of GPTs: a names-only FTS5 table on SQLite
for type-ahead, and GIN indexes split by popularity on PostgreSQL

SQLite: type-ahead filtered the whole-document FTS5 index down to names, reading every
document list of the words a prefix starts (175 ms p95 at 3 M GPTs). `store_names_fts`
indexes the names alone, without stemming (a prefix must match the word as typed), keyed
by search_key like `store_fts` so matches come back most used first.

PostgreSQL: see the second half of upgrade().

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS store_names_fts")
        return
