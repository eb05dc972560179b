"""Payouts: builders' payout details and tax information, each month's payouts, and the builders a run skipped

Revision ID: 0039
Revises: 0038
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payout_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("stripe_account", sa.String(length=40), nullable=False),
        sa.Column("bank_holder", sa.String(length=100), nullable=False),
        sa.Column("bank_iban", sa.String(length=34), nullable=False),
        sa.Column("bank_bic", sa.String(length=11), nullable=False),
        sa.Column("legal_name", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("tax_id", sa.String(length=30), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_payout_profiles_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_payout_profiles")),
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("builder_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("transfer_id", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["builder_id"], ["users.id"], name=op.f("fk_payouts_builder_id_users"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("month", "builder_id", "currency", name=op.f("uq_payouts_month")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_payouts_transfer_id")),
    )
    op.create_index(op.f("ix_payouts_builder_id"), "payouts", ["builder_id"], unique=False)
    op.create_table(
        "payout_skips",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("builder_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payable", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["builder_id"], ["users.id"], name=op.f("fk_payout_skips_builder_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("month", "builder_id", "currency", name=op.f("pk_payout_skips")),
    )


def downgrade() -> None:
    op.drop_table("payout_skips")
    op.drop_index(op.f("ix_payouts_builder_id"), table_name="payouts")
    op.drop_table("payouts")
    op.drop_table("payout_profiles")
