"""messages: the worker writing a reply and its lease; the GPT's tools a reply used

A reply being written (`streaming`) now names the worker process streaming it and a lease
that worker renews, so a reply whose worker died (kill -9, a crash) is known at once
instead of blocking its conversation for ten minutes (chat.owners). `tool_uses` keeps
what the chat shows of each tool call ("Used Calculator: 2+2 = 4"), so a reload shows it.
All three are empty on existing rows: a reply written before has no owner and used no tool.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("tool_uses", sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite rebuilds the table to drop a column: it keeps AUTOINCREMENT, so a deleted reply's id is never reused.
    with op.batch_alter_table("messages", schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("tool_uses")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("owner")
