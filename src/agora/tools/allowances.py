""""Always allow": the tool calls a person no longer wants to be asked about, per GPT and operation.

A call that sends the conversation's data to a third party without changing anything there
(an action's non-consequential operation, a read-only tool of an MCP server the GPT's builder
added: `Tool.asks_first`) asks the first time, with Allow, Always allow and Deny, as the hosted
product does. "Always allow" is remembered here for the person, the GPT and the operation (its
name and where it goes), and the person sees and revokes it on /account/allowed-tools. A
consequential call (it changes something) asks every time: it is never remembered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from agora.gpts.models import Gpt
from agora.tools.base import Tool
from agora.tools.models import ToolAllowance

Key = tuple[str, str]  # (the tool's name, its server)


def asks_first(tool: Tool) -> bool:
    """The call asks until the person allows it always (never for built-in tools, which send nothing to third parties)."""
    return not tool.consequential and bool(getattr(tool, "asks_first", False))


def key_of(tool: Tool) -> Key:
    return tool.name, str(getattr(tool, "server", "") or "")


def allowed_always(session: Session, *, user_id: int, gpt_id: str) -> frozenset[Key]:
    rows = session.execute(select(ToolAllowance.tool, ToolAllowance.server).where(ToolAllowance.user_id == user_id,
                                                                                  ToolAllowance.gpt_id == gpt_id))
    return frozenset((tool, server) for tool, server in rows)


def allow_always(session: Session, *, user_id: int, gpt_id: str, calls: list[dict]) -> None:
    """Remember calls (agora.replies.waiting.asked_call's shape) as always allowed; one already remembered stays as it is,
    so two tabs, or two conversations, allowing the same operation at once both succeed."""
    rows = [{"user_id": user_id, "gpt_id": gpt_id, "tool": call["name"][:64], "title": str(call.get("title") or "")[:200],
             "server": str(call.get("server") or "")[:255]} for call in calls]
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(ToolAllowance).values(rows).on_conflict_do_nothing())


@dataclass(frozen=True)
class Allowance:
    id: int
    gpt_id: str
    gpt_name: str
    tool: str
    title: str
    server: str
    created_at: datetime


def listed(session: Session, *, user_id: int) -> list[Allowance]:
    """What the person always allows, newest first, with the GPT's name."""
    rows = session.execute(select(ToolAllowance, Gpt.name).join(Gpt, Gpt.id == ToolAllowance.gpt_id)
                           .where(ToolAllowance.user_id == user_id).order_by(ToolAllowance.created_at.desc(), ToolAllowance.id.desc()))
    return [Allowance(a.id, a.gpt_id, name, a.tool, a.title or a.tool, a.server, a.created_at) for a, name in rows]


def revoke(session: Session, *, user_id: int, allowance_id: int) -> None:
    """The operation asks again from its next call. Idempotent (a second click finds it gone, and that is fine); someone
    else's allowance is left alone."""
    session.execute(delete(ToolAllowance).where(ToolAllowance.id == allowance_id, ToolAllowance.user_id == user_id))
