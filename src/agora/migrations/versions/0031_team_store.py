"""A workspace's own store: its categories, and each of its GPTs' place (category, featured pick)

Revision ID: 0031
Revises: 0030
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_store_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f("fk_team_store_categories_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_store_categories")),
        sa.UniqueConstraint("workspace_id", "name", name="uq_team_store_categories_workspace_id_name"),
    )
    op.create_table(
        "team_store_entries",
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["team_store_categories.id"], name=op.f("fk_team_store_entries_category_id_team_store_categories"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_team_store_entries_gpt_id_gpts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("gpt_id", name=op.f("pk_team_store_entries")),
    )
    op.create_index(op.f("ix_team_store_entries_category_id"), "team_store_entries", ["category_id"], unique=False)


def downgrade() -> None:
    op.drop_table("team_store_entries")
    op.drop_table("team_store_categories")
