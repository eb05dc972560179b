"""MCP servers: a GPT's or the instance's, the tools each listed, and the GPTs using an instance-wide one

Revision ID: 0037
Revises: 0036
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mcp_servers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("gpt_id", sa.String(length=13), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("transport", sa.String(length=10), nullable=False),
        sa.Column("auth", sa.String(length=10), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_mcp_servers_gpt_id_gpts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_mcp_servers_created_by_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mcp_servers")),
        sa.UniqueConstraint("scope", "url", name="uq_mcp_servers_scope_url"),
    )
    op.create_index(op.f("ix_mcp_servers_gpt_id"), "mcp_servers", ["gpt_id"], unique=False)
    op.create_table(
        "mcp_tools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("input_schema", sa.JSON(), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["server_id"], ["mcp_servers.id"], name=op.f("fk_mcp_tools_server_id_mcp_servers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mcp_tools")),
        sa.UniqueConstraint("server_id", "name", name="uq_mcp_tools_server_id_name"),
    )
    op.create_table(
        "mcp_server_uses",
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_mcp_server_uses_gpt_id_gpts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["server_id"], ["mcp_servers.id"], name=op.f("fk_mcp_server_uses_server_id_mcp_servers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("gpt_id", "server_id", name=op.f("pk_mcp_server_uses")),
    )
    op.create_index(op.f("ix_mcp_server_uses_server_id"), "mcp_server_uses", ["server_id"], unique=False)


def downgrade() -> None:
    op.drop_table("mcp_server_uses")
    op.drop_table("mcp_tools")
    op.drop_table("mcp_servers")
