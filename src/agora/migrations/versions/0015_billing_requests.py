"""Billing requests: a plan change asked with an idempotency key and the answer it got

A retried request (the same Idempotency-Key, or a pricing form sent twice) gets the first
request's answer instead of a second change; a key reused for a different request is
refused. The row is claimed in the transaction that makes the change.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_requests",
        sa.Column("key", sa.String(length=130), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_billing_requests")),
    )


def downgrade() -> None:
    op.drop_table("billing_requests")
