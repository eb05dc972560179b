"""The monthly revenue pool: each month's pool per currency and each eligible GPT's share

Revision ID: 0029
Revises: 0028
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pool_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net_revenue", sa.BigInteger(), nullable=False),
        sa.Column("share_percent", sa.Integer(), nullable=False),
        sa.Column("pool", sa.BigInteger(), nullable=False),
        sa.Column("allocated", sa.BigInteger(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("eligible_gpts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", "currency", name=op.f("pk_pool_months")),
    )
    op.create_table(
        "pool_shares",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("builder_id", sa.Integer(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["builder_id"], ["users.id"], name=op.f("fk_pool_shares_builder_id_users"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("month", "currency", "gpt_id", name=op.f("pk_pool_shares")),
    )
    op.create_index(op.f("ix_pool_shares_builder_id"), "pool_shares", ["builder_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pool_shares_builder_id"), table_name="pool_shares")
    op.drop_table("pool_shares")
    op.drop_table("pool_months")
