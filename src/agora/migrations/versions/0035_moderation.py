"""Moderation: review states of GPTs (the published public ones listed, as they were), review cases, reports, moderators,
clone fingerprints

Revision ID: 0035
Revises: 0034
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("gpts", sa.Column("review_state", sa.String(length=10), server_default="draft", nullable=False))
    # What the store listed before reviews existed stays listed.
    op.execute("UPDATE gpts SET review_state = 'listed' WHERE published_version IS NOT NULL AND visibility = 'public' AND deleted_at IS NULL")
    op.create_table(
        "moderation_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("builder_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("delist_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal", sa.Text(), nullable=True),
        sa.Column("appealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal_outcome", sa.String(length=10), nullable=True),
        sa.Column("appeal_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_moderation_cases_gpt_id_gpts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["builder_id"], ["users.id"], name=op.f("fk_moderation_cases_builder_id_users")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_moderation_cases_decided_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_cases")),
    )
    op.create_index("ix_moderation_cases_gpt", "moderation_cases", ["gpt_id", "id"])
    op.create_index("ix_moderation_cases_state", "moderation_cases", ["state", "opened_at"])
    op.create_table(
        "moderation_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("gpt_id", sa.String(length=13), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], name=op.f("fk_moderation_reports_reporter_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_moderation_reports_gpt_id_gpts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_reports")),
    )
    op.create_index("uq_moderation_reports_open", "moderation_reports", ["reporter_id", "target_type", "target_id"], unique=True,
                    sqlite_where=sa.text("resolved_at IS NULL"), postgresql_where=sa.text("resolved_at IS NULL"))
    op.create_index("ix_moderation_reports_gpt", "moderation_reports", ["gpt_id", "resolved_at"])
    op.create_index("ix_moderation_reports_reporter", "moderation_reports", ["reporter_id", "created_at"])
    op.create_table(
        "moderators",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_moderators_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["granted_by"], ["users.id"], name=op.f("fk_moderators_granted_by_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_moderators")),
    )
    op.create_table(
        "moderation_fingerprints",
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("builder_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.JSON(), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_moderation_fingerprints_gpt_id_gpts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["builder_id"], ["users.id"], name=op.f("fk_moderation_fingerprints_builder_id_users")),
        sa.PrimaryKeyConstraint("gpt_id", name=op.f("pk_moderation_fingerprints")),
    )
    op.create_table(
        "moderation_fingerprint_bands",
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_moderation_fingerprint_bands_gpt_id_gpts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("gpt_id", "number", name=op.f("pk_moderation_fingerprint_bands")),
    )
    op.create_index("ix_moderation_fingerprint_bands_band", "moderation_fingerprint_bands", ["band"])


def downgrade() -> None:
    op.drop_table("moderation_fingerprint_bands")
    op.drop_table("moderation_fingerprints")
    op.drop_table("moderators")
    op.drop_table("moderation_reports")
    op.drop_table("moderation_cases")
    op.drop_column("gpts", "review_state")
