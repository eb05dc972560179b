"""The usage hook: the chat runtime calls it once per finished reply, in the reply's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from agora.metering.models import UsageRecord


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
) -> UsageRecord:
    """Record who used which GPT version and model, for how many tokens and how long.

    Stopped and failed replies are recorded too: the model did the work they consumed.
    """
    record = UsageRecord(
        user_id=user_id,
        gpt_id=gpt_id,
        gpt_version=gpt_version,
        model=model,
        message_id=message_id,
        status=status,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        latency_ms=latency_ms,
        source=source,
    )
    session.add(record)
    return record
