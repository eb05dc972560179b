"""Money columns are 64-bit on PostgreSQL: invoice totals and lines, and what a segment charged

A period's price is bounded at 10^12 minor units (agora.billing.plans: 1,000,000.00 per seat
and 10,000 seats), beyond PostgreSQL's `integer` (2^31 - 1, 21,474,836.47 in a currency):
a Team of 10,000 seats at 3,000.00 a year would not have fitted one invoice. SQLite's
INTEGER is already 64-bit; nothing changes there. The tables are small (one row per invoice
line), so the rewrite PostgreSQL makes is quick.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [("invoices", "total"), ("invoice_lines", "unit_amount"), ("invoice_lines", "amount"), ("subscriptions", "segment_charged")]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)


def downgrade() -> None:
    # Fails if an amount no longer fits 32 bits.
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
