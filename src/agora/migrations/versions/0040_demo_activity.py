"""The demo store's made-up activity per GPT (conversations, ratings, reviews), kept apart from usage

Revision ID: 0040
Revises: 0039
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "demo_activity",
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("conversations", sa.BigInteger(), nullable=False),
        sa.Column("rating_sum", sa.BigInteger(), nullable=False),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("seeded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_demo_activity_gpt_id_gpts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("gpt_id", name=op.f("pk_demo_activity")),
    )


def downgrade() -> None:
    op.drop_table("demo_activity")
