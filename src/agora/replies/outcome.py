"""How a reply ended, and what it consumed: what every output reports and the usage event meters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agora.knowledge.citations import Citation
from agora.providers.base import Provider, ProviderError, Usage
from agora.replies.waiting import Waiting
from agora.tools.runner import ToolUse

COMPLETE, STOPPED, FAILED = "complete", "stopped", "failed"


@dataclass(frozen=True)
class Outcome:
    status: str  # complete, stopped or failed
    reason: str  # why it stopped or failed, for the person ("" when complete, or stopped by them)
    text: str
    tool_calls: list[dict[str, Any]]  # calls to the caller's tools, for the caller to answer (OpenAI's message shape)
    tool_uses: list[ToolUse]  # the GPT's own tools that ran, in order
    finish_reason: str | None  # the model's, when it finished
    usage: Usage  # every model call of the reply, the provider's count or else an estimate
    latency_ms: int
    failure: ProviderError | None = None  # what the model server did, for outputs that answer by its kind (/v1)
    citations: tuple[Citation, ...] = ()  # the knowledge passages the reply cites (agora.knowledge.citations)
    waiting: Waiting | None = None  # complete, but waiting for the person's word on consequential calls (agora.replies.waiting)
    refusal: str = ""  # the notice that replaced a reply the guardrails withheld (agora.replies.guardrails): `text` is it too


def estimated_tokens(provider: Provider, model: str, text: str) -> int:
    """Tokens of text the model wrote, for a call that ended without the provider's count (stopped or failed)."""
    if not text:
        return 0
    framed = provider.count_tokens([{"role": "assistant", "content": text}], model)
    return max(framed - provider.count_tokens([{"role": "assistant", "content": ""}], model), 0)
