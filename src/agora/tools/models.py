"""The tool_allowances table: the calls a person chose to "Always allow" for one GPT, so they no longer ask."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class ToolAllowance(Base):
    """One person's "Always allow" for one operation of one GPT, where it goes: a call to the same operation name on
    another server (the builder changed the action's document) asks again."""

    __tablename__ = "tool_allowances"
    __table_args__ = (UniqueConstraint("user_id", "gpt_id", "tool", "server"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"))
    tool: Mapped[str] = mapped_column(String(64))  # the name the model calls (an action's operationId)
    title: Mapped[str] = mapped_column(String(200), default="")  # the tool's name for people, when it was allowed
    server: Mapped[str] = mapped_column(String(255), default="")  # host[:port] of the action, or the MCP server's name
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
