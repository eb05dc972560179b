"""Builders' requests to be featured, and which featured picks the demo seeded (the operator's own catalogue)

Revision ID: 0043
Revises: 0042
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The account agora.demo.seed credits its picks to (its CURATOR_EMAIL, spelled out: a migration stays as written).
DEMO_CURATOR = "curator@builders.agora.example"


def upgrade() -> None:
    op.add_column("featured_picks", sa.Column("seeded", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    # Picks the demo made before this column existed are its own: they keep showing (store.featured).
    op.execute(sa.text("UPDATE featured_picks SET seeded = true WHERE picked_by IN (SELECT id FROM users WHERE email = :email)")
               .bindparams(email=DEMO_CURATOR))
    op.create_table(
        "featured_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("pitch", sa.String(length=280), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("iso_year", sa.Integer(), nullable=True),
        sa.Column("iso_week", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_featured_requests_gpt_id_gpts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"], name=op.f("fk_featured_requests_requested_by_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_featured_requests_decided_by_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_featured_requests")),
    )
    op.create_index("uq_featured_requests_open", "featured_requests", ["gpt_id"], unique=True,
                    sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))
    op.create_index("ix_featured_requests_state", "featured_requests", ["state", "created_at"])
    op.create_index("ix_featured_requests_gpt", "featured_requests", ["gpt_id", "id"])


def downgrade() -> None:
    op.drop_table("featured_requests")
    op.drop_column("featured_picks", "seeded")
