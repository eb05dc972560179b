"""Trending scores on a log scale: store_listings.trending becomes log2(1 + score)

The linear score's day weights, 2^((day - 2026-01-01) / 3), overflow a double from
2034-05-31 (every reply's transaction raised OverflowError from then on). The base-2
logarithm grows by a third a day instead, ranks exactly as the score does, and 0 still
means no activity (store.trending). New activity is added on that scale by the SQL
function agora_log2_add, created here on PostgreSQL (an SQL function PostgreSQL inlines)
and registered by agora.db on each SQLite connection.

Every listing with a score is rewritten once: on PostgreSQL each such row's search indexes
too (61 s for 300,000 GPTs that all have a score; minutes at millions).

Revision ID: 0018
Revises: 0017
"""

import math
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# log2(2^a + 2^b). exp() raises on underflow rather than return 0, hence the floor: below
# 2^-1000 of the larger term, the smaller adds nothing a double can hold anyway.
LOG2_ADD = """
CREATE FUNCTION agora_log2_add(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT GREATEST(a, b) + ln(1 + exp(ln(2) * GREATEST(LEAST(a, b) - GREATEST(a, b), -1000))) / ln(2) $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(LOG2_ADD)
        op.execute("UPDATE store_listings SET trending = ln(1 + trending) / ln(2) WHERE trending > 0")
    else:
        _convert(lambda score: math.log2(1 + score))


def downgrade() -> None:
    # Fails once scores pass 2^1024 (from mid-2034): the old code could not hold them.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE store_listings SET trending = power(2, trending) - 1 WHERE trending > 0")
        op.execute("DROP FUNCTION agora_log2_add(float8, float8)")
    else:
        _convert(lambda stored: 2.0 ** stored - 1)


def _convert(change) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, trending FROM store_listings WHERE trending > 0")).all()
    if rows:
        connection.execute(sa.text("UPDATE store_listings SET trending = :trending WHERE id = :id"),
                           [{"id": listing_id, "trending": change(value)} for listing_id, value in rows])
