"""The MCP servers' tables: each server (a GPT's or the instance's), the tools it listed, and which GPTs use an instance-wide one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow

INSTANCE = "*"  # the scope of a server every GPT of the instance may use


class McpServer(Base):
    __tablename__ = "mcp_servers"
    # Two submissions of the same server for the same GPT (a double click) make one row: the second is a conflict.
    __table_args__ = (UniqueConstraint("scope", "url", name="uq_mcp_servers_scope_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The GPT's id, or INSTANCE: a column that is never NULL, so the unique constraint holds for instance-wide servers too.
    scope: Mapped[str] = mapped_column(String(20))
    gpt_id: Mapped[str | None] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"), index=True, default=None)
    name: Mapped[str] = mapped_column(String(100))
    # The streamable HTTP endpoint; for a stdio server, "stdio:<name>" (its command is in the operator's configuration, never here).
    url: Mapped[str] = mapped_column(String(2000))
    transport: Mapped[str] = mapped_column(String(10), default="http")  # http | stdio
    auth: Mapped[str] = mapped_column(String(10), default="none")  # none | bearer | oauth
    # The bearer token, a Fernet token keyed from the secret key (agora.providers.encryption); never the token itself.
    secret_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when its tools were last listed
    last_error: Mapped[str] = mapped_column(Text, default="")  # why the last listing failed, shown to its editors


class McpTool(Base):
    """A tool the server listed, as it described it, and whether the GPT (or the instance) offers it to the model."""

    __tablename__ = "mcp_tools"
    __table_args__ = (UniqueConstraint("server_id", "name", name="uq_mcp_tools_server_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("mcp_servers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))  # the server's name for it, sent back in tools/call
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    input_schema: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Only a tool that declares readOnlyHint: true runs without asking; every other one is consequential.
    read_only: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)


class McpServerUse(Base):
    """A GPT using an instance-wide server (its builder switched it on in the editor)."""

    __tablename__ = "mcp_server_uses"

    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"), primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("mcp_servers.id", ondelete="CASCADE"), primary_key=True, index=True)
