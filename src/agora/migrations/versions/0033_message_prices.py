"""Per-message prices: a GPT's price, credit holds, and the plans' allowance of priced messages

Revision ID: 0033
Revises: 0032
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default plans' allowance (agora.billing.plans.DEFAULT_PLANS); an existing plan gets it only if it has none.
ALLOWANCE = {"free": 0, "plus": 50, "team": 100, "enterprise": 300}


def upgrade() -> None:
    with op.batch_alter_table("gpts") as batch:
        batch.add_column(sa.Column("price_per_message", sa.Integer(), nullable=True))
    op.create_table(
        "credit_holds",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("builder_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("funding", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_credit_holds_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["builder_id"], ["users.id"], name=op.f("fk_credit_holds_builder_id_users"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entries.id"], name=op.f("fk_credit_holds_entry_id_ledger_entries"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_credit_holds")),
    )
    op.create_index("ix_credit_holds_user_id_status_created_at", "credit_holds", ["user_id", "status", "created_at"], unique=False)
    op.create_index(op.f("ix_credit_holds_builder_id"), "credit_holds", ["builder_id"], unique=False)
    plans = sa.table("plans", sa.column("code", sa.String), sa.column("entitlements", sa.JSON))
    connection = op.get_bind()
    for code, entitlements in connection.execute(sa.select(plans.c.code, plans.c.entitlements)).all():
        if isinstance(entitlements, dict) and "priced_messages_per_month" not in entitlements:
            connection.execute(plans.update().where(plans.c.code == code).values(
                entitlements={**entitlements, "priced_messages_per_month": ALLOWANCE.get(code, 0)}))


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_holds_builder_id"), table_name="credit_holds")
    op.drop_index("ix_credit_holds_user_id_status_created_at", table_name="credit_holds")
    op.drop_table("credit_holds")
    with op.batch_alter_table("gpts") as batch:
        batch.drop_column("price_per_message")

