"""Usage events: index what queries use, and nothing else

A chat reply asks whether its conversation already has usage (to count new
conversations); without an index on conversation_id that was a full scan of every event,
1.2 to 2 s per reply at 10 M events on PostgreSQL. The per-user and per-GPT time indexes
served no query (those questions read the daily rollups) and cost about 17 us of 23 us per
ingested event on SQLite (bench/metering.py, docs/benchmarks.md).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_records_user_created")
        batch_op.drop_index("ix_usage_records_gpt_created")
        batch_op.create_index(
            "ix_usage_records_conversation", ["conversation_id"], unique=False,
            postgresql_where=sa.text("conversation_id IS NOT NULL"), sqlite_where=sa.text("conversation_id IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_records_conversation")
        batch_op.create_index("ix_usage_records_gpt_created", ["gpt_id", "created_at"], unique=False)
        batch_op.create_index("ix_usage_records_user_created", ["user_id", "created_at"], unique=False)
