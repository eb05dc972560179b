"""Message guardrails: the chat exchanges the guardrails flagged or blocked, for the moderators' queue

Revision ID: 0042
Revises: 0041
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moderation_message_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("gpt_id", sa.String(length=13), nullable=True),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=5), nullable=False),
        sa.Column("message_action", sa.String(length=5), nullable=False),
        sa.Column("message_categories", sa.JSON(), nullable=False),
        sa.Column("reply_action", sa.String(length=5), nullable=False),
        sa.Column("reply_categories", sa.JSON(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_moderation_message_flags_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_moderation_message_flags_gpt_id_gpts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewed_by"], ["users.id"], name=op.f("fk_moderation_message_flags_reviewed_by_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_message_flags")),
        sa.UniqueConstraint("key", name=op.f("uq_moderation_message_flags_key")),
    )
    op.create_index("ix_moderation_message_flags_open", "moderation_message_flags", ["reviewed_at", "id"])


def downgrade() -> None:
    op.drop_table("moderation_message_flags")
