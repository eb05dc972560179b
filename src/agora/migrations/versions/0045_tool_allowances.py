"""The operations a person "Always allows" per GPT (non-consequential action calls no longer ask)

Revision ID: 0045
Revises: 0044
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tool_allowances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("tool", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("server", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_tool_allowances_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_tool_allowances_gpt_id_gpts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_allowances")),
        sa.UniqueConstraint("user_id", "gpt_id", "tool", "server", name=op.f("uq_tool_allowances_user_id")),
    )
    op.create_index(op.f("ix_tool_allowances_user_id"), "tool_allowances", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tool_allowances_user_id"), table_name="tool_allowances")
    op.drop_table("tool_allowances")
