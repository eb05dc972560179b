"""The last step of a reply: its usage event, as the usage writer takes it (agora.metering.writer)."""

from __future__ import annotations

from agora.db import utcnow
from agora.replies.outcome import Outcome
from agora.replies.prepare import Prepared


def usage_event(prepared: Prepared, outcome: Outcome, *, key: str, message_id: int | None) -> dict:
    """One event per reply, however it ended (the model did the work), keyed by `key` so that metering it twice counts once."""
    metering = prepared.metering
    return {
        "idempotency_key": key, "user_id": metering.user_id, "workspace_id": metering.workspace_id, "plan_code": metering.plan_code,
        "gpt_id": metering.gpt_id, "gpt_version": metering.gpt_version, "builder_id": metering.builder_id, "model": prepared.request.model,
        "source": metering.source, "conversation_id": metering.conversation_id, "message_id": message_id, "status": outcome.status,
        "prompt_tokens": outcome.usage.prompt_tokens, "completion_tokens": outcome.usage.completion_tokens, "latency_ms": outcome.latency_ms,
        "created_at": utcnow(),
    }
