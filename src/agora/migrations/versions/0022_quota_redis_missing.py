"""quota_locks.redis_missing_until: whose sends Redis lacks after an outage

When Redis does not answer, message quotas are counted in the database (exactly: every
send is recorded there), and the user's row says until when Redis lacks some of their
sends in the window; their quota is counted in the database until then, never from
Redis's incomplete count (docs/operations.md, "When Redis goes away").

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quota_locks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redis_missing_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quota_locks", schema=None) as batch_op:
        batch_op.drop_column("redis_missing_until")
