"""Addresses each user has logged in from

The per-email login limit paused a user's logins from everywhere after five wrong
passwords, so anyone could lock the owner out. A user's own addresses (those they logged
in from lately) now keep working; see agora.accounts.throttle.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_login_addresses_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_addresses")),
        sa.UniqueConstraint("user_id", "ip", name=op.f("uq_login_addresses_user_id")),
    )


def downgrade() -> None:
    op.drop_table("login_addresses")
