"""messages: why the model ended a reply (`finish_reason`), so a reply cut by the token limit offers "Continue"

Empty on existing rows: they were written before the reason was kept, and offer nothing.

Revision ID: 0036
Revises: 0035
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finish_reason", sa.String(length=20), nullable=True))


def downgrade() -> None:
    # SQLite rebuilds the table to drop a column: it keeps AUTOINCREMENT, so a deleted reply's id is never reused.
    with op.batch_alter_table("messages", schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("finish_reason")
