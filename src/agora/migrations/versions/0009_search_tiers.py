"""Store search on PostgreSQL: each listing's popularity tier as a lexeme in its vectors

GIN finds every match of a word at once; reading each matching row to learn its
popularity is what made a common word slow. With the tier as a lexeme ("~7"), GIN
intersects a word's matches with one tier at a time, most used first, and search stops
reading as soon as it has enough (store.search_index.PostgresIndex). SQLite's FTS5 keeps
matches in popularity order already and needs nothing.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIER_BITS = 40  # agora.store.ranking.TIER_BITS, copied: migrations never import app code
TIER = f"array_to_tsvector(ARRAY['~' || (search_key >> {TIER_BITS})::text])"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"UPDATE store_listings SET search_vector = search_vector || {TIER}, name_vector = name_vector || {TIER} "
            "WHERE search_key IS NOT NULL AND search_vector IS NOT NULL"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        tiers = "ARRAY[" + ", ".join(f"'~{tier}'" for tier in range(32)) + "]"
        op.execute(
            f"UPDATE store_listings SET search_vector = ts_delete(search_vector, {tiers}), "
            f"name_vector = ts_delete(name_vector, {tiers})"
        )
