"""A reply may wait for the person's word on consequential tool calls: what it continues from

Revision ID: 0032
Revises: 0031
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("waiting", sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite rebuilds the table to drop a column: it keeps AUTOINCREMENT, so a deleted reply's id is never reused.
    with op.batch_alter_table("messages", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("waiting")
