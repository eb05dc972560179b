"""store_state: named values the store's upkeep keeps between runs

One for now: the mark the listings backfill leaves once it has listed every GPT that
existed before listings did (or how far it got), so that later starts do not scan every
GPT again (store.listings.backfill). No row is written here: a missing mark makes the
next start run the backfill, once.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_store_state")),
    )


def downgrade() -> None:
    op.drop_table("store_state")
