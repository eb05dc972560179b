"""Subscriptions: pay_by, the end of an offline subscription's grace period

With the offline gateway a new subscription is active at once and its first invoice waits
for an admin to mark it paid; `pay_by` is when that must have happened (AGORA_BILLING_GRACE_DAYS
after the start). Unpaid by then, the plan stops and the billing clock ends the subscription.
Indexed: every worker's clock looks for the subscriptions whose deadline has passed.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pay_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_subscriptions_pay_by"), ["pay_by"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_pay_by"))
        batch_op.drop_column("pay_by")
