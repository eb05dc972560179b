"""A workspace's own list of the domains its GPTs' actions and tools may reach (the outbound guard narrows to it)

Revision ID: 0038
Revises: 0037
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team_settings") as batch_op:
        batch_op.add_column(sa.Column("outbound_domains", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("team_settings") as batch_op:
        batch_op.drop_column("outbound_domains")
