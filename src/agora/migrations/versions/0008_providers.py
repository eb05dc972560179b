"""Providers configured in the admin page: OpenAI-compatible servers and other installed kinds

`provider_configs` holds each provider with its API key encrypted by a key derived from the
secret key; `provider_catalog` is one row holding the default model and a stamp that every
change renews, so each worker notices a change without a restart.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('provider_configs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=False),
    sa.Column('api_key_encrypted', sa.Text(), nullable=True),
    sa.Column('models', sa.JSON(), nullable=False),
    sa.Column('context_tokens', sa.Integer(), nullable=False),
    sa.Column('timeout_seconds', sa.Float(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_configs')),
    sa.UniqueConstraint('name', name=op.f('uq_provider_configs_name'))
    )
    op.create_table('provider_catalog',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.Column('default_model', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_catalog'))
    )
    # The one row exists from the start, so two admins' first changes never race to insert it.
    op.execute("INSERT INTO provider_catalog (id, stamp, updated_at) VALUES (1, 'initial', CURRENT_TIMESTAMP)")


def downgrade() -> None:
    op.drop_table('provider_catalog')
    op.drop_table('provider_configs')
