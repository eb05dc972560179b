"""Store: how many GPTs each category lists, kept on the category row

Category pages, the store front and GET /api/store/categories show these counts; counting
them with a GROUP BY over millions of listings on every request cost more than the page
itself. `store.listings.sync` keeps the counter in step in the same transaction as the
listing it adds, moves or removes.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("listing_count", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE categories SET listing_count = "
        "(SELECT count(*) FROM store_listings WHERE store_listings.category_id = categories.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("listing_count")
