"""Usage events: no foreign keys to users and GPTs; ingestion checks references per batch

On PostgreSQL each foreign key of `usage_records` ran a `SELECT ... FOR KEY SHARE` on the
parent per ingested event: about 6 us an event, a sixth of batch ingestion
(docs/benchmarks.md). Batch ingestion now checks a whole batch's user and GPT ids with one
set-based query and refuses the batch naming the unknown ones; a single reply's user and
GPT are already loaded by the request that produced it. Usage is append-only and outlives
what it names (it already has no foreign key to conversations), and no code deletes users
or GPTs, so the cascade from users had nothing to do.

The keys go on SQLite too, so both databases keep one schema and one reference check
(SQLite rebuilds the table to drop them: a one-off copy of the events).

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_constraint("fk_usage_records_user_id_users", type_="foreignkey")
        batch_op.drop_constraint("fk_usage_records_gpt_id_gpts", type_="foreignkey")


def downgrade() -> None:
    # Fails if events name users or GPTs that no longer exist: nothing removes them today.
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.create_foreign_key("fk_usage_records_user_id_users", "users", ["user_id"], ["id"], ondelete="CASCADE")
        batch_op.create_foreign_key("fk_usage_records_gpt_id_gpts", "gpts", ["gpt_id"], ["id"])

