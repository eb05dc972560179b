"""People's OAuth tokens for actions, and the sign-ins under way

Revision ID: 0041
Revises: 0040
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "action_tokens",
        sa.Column("action_id", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("access_encrypted", sa.Text(), nullable=False),
        sa.Column("refresh_encrypted", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["gpt_actions.id"], name=op.f("fk_action_tokens_action_id_gpt_actions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_action_tokens_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("action_id", "user_id", name=op.f("pk_action_tokens")),
    )
    op.create_index(op.f("ix_action_tokens_user_id"), "action_tokens", ["user_id"], unique=False)
    op.create_table(
        "action_sign_ins",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("action_id", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("verifier_encrypted", sa.Text(), nullable=False),
        sa.Column("next", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["gpt_actions.id"], name=op.f("fk_action_sign_ins_action_id_gpt_actions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_action_sign_ins_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_action_sign_ins")),
    )
    op.create_index(op.f("ix_action_sign_ins_user_id"), "action_sign_ins", ["user_id"], unique=False)
    op.create_index(op.f("ix_action_sign_ins_created_at"), "action_sign_ins", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_action_sign_ins_created_at"), table_name="action_sign_ins")
    op.drop_index(op.f("ix_action_sign_ins_user_id"), table_name="action_sign_ins")
    op.drop_table("action_sign_ins")
    op.drop_index(op.f("ix_action_tokens_user_id"), table_name="action_tokens")
    op.drop_table("action_tokens")
