"""A GPT's OpenAPI actions: the document, its operations, the enabled ones, how calls authenticate (the key encrypted)

Revision ID: 0034
Revises: 0033
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gpt_actions",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=False),
        sa.Column("operations", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.JSON(), nullable=False),
        sa.Column("auth_type", sa.String(length=10), nullable=False),
        sa.Column("auth", sa.JSON(), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=True),
        sa.Column("privacy_url", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_gpt_actions_gpt_id_gpts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gpt_actions")),
    )
    op.create_index(op.f("ix_gpt_actions_gpt_id"), "gpt_actions", ["gpt_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_gpt_actions_gpt_id"), table_name="gpt_actions")
    op.drop_table("gpt_actions")
