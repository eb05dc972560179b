"""The usage hook: the chat runtime (web and /v1) calls it once per finished reply, in the reply's transaction.

Each call appends one usage event keyed by an idempotency key; a replay with the same
key changes nothing (no event, no rollup, no trending). A new event updates the daily
rollups and the store's trending score in the same transaction, so they always agree.
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from agora.accounts.models import Workspace
from agora.db import utcnow
from agora.gpts.models import Gpt
from agora.metering import rollups
from agora.metering.models import UsageRecord
from agora.store import trending

SOURCES = ("web", "api")


def record_reply_usage(
    session: Session,
    *,
    user_id: int,
    gpt_id: str | None,
    gpt_version: int | None,
    model: str,
    message_id: int | None,
    status: str,
    prompt_tokens: int,
    completion_tokens: int,
    latency_ms: int,
    source: str = "web",
    idempotency_key: str | None = None,
    conversation_id: str | None = None,
    plan_code: str = "free",
    workspace_id: int | None = None,
) -> bool:
    """Meter who used which GPT version and model, for how many tokens and how long. False for a replay.

    Stopped and failed replies are metered too: the model did the work they consumed.
    The key defaults to the reply's message id; /v1 passes its completion id.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown usage source {source!r}")
    if min(prompt_tokens, completion_tokens, latency_ms) < 0:
        raise ValueError("usage cannot be negative")
    # Callers that can be retried pass a key of their own (/v1: its completion id); a stored
    # reply is keyed by its message id; anything else cannot be replayed, so a fresh key is safe.
    key = idempotency_key or (f"{source}:message:{message_id}" if message_id is not None else f"{source}:{uuid.uuid4().hex}")
    now = utcnow()
    # usage_records has no foreign keys (migration 0012). The user is the one the request
    # authenticated; the GPT's builder is read anyway, which tells an unknown GPT for free.
    builder_id = session.scalar(select(Gpt.owner_id).where(Gpt.id == gpt_id)) if gpt_id else None
    if gpt_id and builder_id is None:
        raise ValueError(f"usage names unknown GPT {gpt_id!r}")
    if workspace_id is None:
        workspace_id = session.scalar(select(Workspace.id).where(Workspace.owner_id == user_id, Workspace.kind == "personal").order_by(Workspace.id))
    # A conversation is new on the day its first reply is metered (one reply runs at a time per conversation).
    new_conversation = conversation_id is not None and not session.scalar(select(exists().where(UsageRecord.conversation_id == conversation_id)))
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = session.execute(
        insert(UsageRecord).values(
            idempotency_key=key, user_id=user_id, workspace_id=workspace_id, plan_code=plan_code, gpt_id=gpt_id, gpt_version=gpt_version,
            builder_id=builder_id, model=model, source=source, conversation_id=conversation_id, message_id=message_id, status=status,
            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, latency_ms=latency_ms, created_at=now,
        ).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(UsageRecord.id)
    ).first()
    if inserted is None:
        return False
    if gpt_id is None:
        return True  # a base model: nothing to roll up per GPT
    day = now.date()
    reply = rollups.one_reply(day=day, gpt_id=gpt_id, user_id=user_id, new_conversation=new_conversation,
                              prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    [added] = rollups.add(session, reply)
    trending.add_activity(session, gpt_id, day=day, new_users=added.users, new_conversations=int(new_conversation), messages=1)
    return True
