"""SCIM 2.0 provisioning: workspaces' bearer tokens, their Users and Groups

A workspace's identity provider creates, updates and deactivates its people and groups;
each SCIM User is an Agora account, kept with the resource as the provider wrote it.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scim_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=24), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_scim_tokens_created_by_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f("fk_scim_tokens_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scim_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_scim_tokens_token_hash")),
    )
    op.create_index(op.f("ix_scim_tokens_workspace_id"), "scim_tokens", ["workspace_id"], unique=False)
    op.create_table(
        "scim_users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=254), nullable=False),
        sa.Column("user_name_key", sa.String(length=254), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_scim_users_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f("fk_scim_users_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scim_users")),
        sa.UniqueConstraint("workspace_id", "user_id", name="uq_scim_users_workspace_id_user_id"),
        sa.UniqueConstraint("workspace_id", "user_name_key", name="uq_scim_users_workspace_id_user_name_key"),
    )
    op.create_index("ix_scim_users_workspace_external", "scim_users", ["workspace_id", "external_id"], unique=False)
    op.create_index(op.f("ix_scim_users_user_id"), "scim_users", ["user_id"], unique=False)
    op.create_table(
        "scim_groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f("fk_scim_groups_workspace_id_workspaces"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scim_groups")),
    )
    op.create_index("ix_scim_groups_workspace_name", "scim_groups", ["workspace_id", "display_name"], unique=False)
    op.create_table(
        "scim_group_members",
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["scim_groups.id"], name=op.f("fk_scim_group_members_group_id_scim_groups"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["scim_users.id"], name=op.f("fk_scim_group_members_member_id_scim_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "member_id", name=op.f("pk_scim_group_members")),
    )
    op.create_index(op.f("ix_scim_group_members_member_id"), "scim_group_members", ["member_id"], unique=False)


def downgrade() -> None:
    op.drop_table("scim_group_members")
    op.drop_table("scim_groups")
    op.drop_table("scim_users")
    op.drop_table("scim_tokens")
