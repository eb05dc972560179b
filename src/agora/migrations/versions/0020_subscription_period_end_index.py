"""Subscriptions: an index on current_period_end, for the billing clock

Every worker's billing clock looks, each minute, for the offline subscriptions whose period
has ended (to renew or end them); without the index that is a pass over every subscription.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_subscriptions_current_period_end"), "subscriptions", ["current_period_end"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_subscriptions_current_period_end"), table_name="subscriptions")
