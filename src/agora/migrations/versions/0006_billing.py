"""Billing and metering: plans, subscriptions and their events, usage events with
idempotency keys and daily rollups, quota counting, team workspace settings and invites

Default plans are seeded by agora.billing.plans.ensure_default_plans on every upgrade,
not here, so an admin's edits survive and a migration never imports app code.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('plans',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('prices', sa.JSON(), nullable=False),
    sa.Column('min_seats', sa.Integer(), nullable=False),
    sa.Column('entitlements', sa.JSON(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_plans'))
    )
    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('plan_code', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('interval', sa.String(length=5), nullable=False),
    sa.Column('current_period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('current_period_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False),
    sa.Column('segment_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('segment_charged', sa.Integer(), nullable=False),
    sa.Column('gateway', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('customer_id', sa.String(length=100), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_code'], ['plans.code'], name=op.f('fk_subscriptions_plan_code_plans')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_subscriptions_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('external_id', name=op.f('uq_subscriptions_external_id')),
    sa.UniqueConstraint('workspace_id', name=op.f('uq_subscriptions_workspace_id'))
    )
    op.create_table('subscription_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_subscription_events_subscription_id_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_events')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_subscription_events_idempotency_key'))
    )
    op.create_index('ix_subscription_events_subscription', 'subscription_events', ['subscription_id', 'id'], unique=False)
    op.create_table('gateway_events',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('gateway', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_events'))
    )
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=True),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=True),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_invoices_subscription_id_subscriptions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_invoices_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('external_id', name=op.f('uq_invoices_external_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_invoices_idempotency_key')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number'))
    )
    op.create_index('ix_invoices_workspace_id', 'invoices', ['workspace_id'], unique=False)
    op.create_table('invoice_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_amount', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('period_end', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines')),
    sa.UniqueConstraint('invoice_id', 'position', name=op.f('uq_invoice_lines_invoice_id'))
    )

    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('workspace_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('plan_code', sa.String(length=20), server_default='free', nullable=False))
        batch_op.add_column(sa.Column('builder_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('conversation_id', sa.String(length=32), nullable=True))
    # Records from before metering get a key derived from their id: unique, never reused.
    op.execute("UPDATE usage_records SET idempotency_key = 'legacy:' || id WHERE idempotency_key IS NULL")
    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.alter_column('idempotency_key', existing_type=sa.String(length=120), nullable=False)
        batch_op.create_unique_constraint(op.f('uq_usage_records_idempotency_key'), ['idempotency_key'])
        batch_op.create_index('ix_usage_records_created', ['created_at'], unique=False)

    op.create_table('usage_daily_gpt',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('gpt_id', sa.String(length=13), nullable=False),
    sa.Column('conversations', sa.Integer(), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.Column('users', sa.Integer(), nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), nullable=False),
    sa.Column('completion_tokens', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'gpt_id', name=op.f('pk_usage_daily_gpt'))
    )
    op.create_table('usage_daily_gpt_user',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('gpt_id', sa.String(length=13), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('conversations', sa.Integer(), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), nullable=False),
    sa.Column('completion_tokens', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'gpt_id', 'user_id', name=op.f('pk_usage_daily_gpt_user'))
    )
    op.create_table('quota_locks',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_quota_locks'))
    )
    op.create_table('message_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('gpt_id', sa.String(length=13), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_message_sends_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_sends'))
    )
    op.create_index('ix_message_sends_user_sent', 'message_sends', ['user_id', 'sent_at'], unique=False)

    op.create_table('team_settings',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('allow_store_gpts', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_team_settings_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_team_settings'))
    )
    op.create_table('active_workspaces',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_active_workspaces_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_active_workspaces_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_active_workspaces'))
    )
    op.create_table('workspace_invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], name=op.f('fk_workspace_invites_invited_by_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_workspace_invites_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace_invites')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_workspace_invites_token_hash'))
    )
    op.create_index('ix_workspace_invites_workspace_id', 'workspace_invites', ['workspace_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_workspace_invites_workspace_id', table_name='workspace_invites')
    op.drop_table('workspace_invites')
    op.drop_table('active_workspaces')
    op.drop_table('team_settings')
    op.drop_index('ix_message_sends_user_sent', table_name='message_sends')
    op.drop_table('message_sends')
    op.drop_table('quota_locks')
    op.drop_table('usage_daily_gpt_user')
    op.drop_table('usage_daily_gpt')
    with op.batch_alter_table('usage_records', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_records_created')
        batch_op.drop_constraint(op.f('uq_usage_records_idempotency_key'), type_='unique')
        for column in ('conversation_id', 'builder_id', 'plan_code', 'workspace_id', 'idempotency_key'):
            batch_op.drop_column(column)
    op.drop_table('gateway_events')
    op.drop_table('invoice_lines')
    op.drop_index('ix_invoices_workspace_id', table_name='invoices')
    op.drop_table('invoices')
    op.drop_index('ix_subscription_events_subscription', table_name='subscription_events')
    op.drop_table('subscription_events')
    op.drop_table('subscriptions')
    op.drop_table('plans')
