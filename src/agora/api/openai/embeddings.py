"""POST /v1/embeddings: the bundled embedder for API users, in OpenAI's request and response shapes.

The model is the one knowledge uses (`agora-use-multilingual-v3`, listed by /v1/models); inputs
are strings (a string or a list of at most 2,048), each at most 8,192 tokens (Agora's count,
agora.knowledge.chunking). Vectors come as floats or base64 (little-endian float32), as
OpenAI's `encoding_format` asks. A call is a /v1 call like a base model's: it needs a plan
with API access (checked with the caller), takes the key's requests and input tokens from the
same rate limiter as chat completions, and is metered once when it succeeds (a usage record of
its input tokens, source `api`, keyed `api:embd-<random>`, through the batched writer). It is
no GPT message, so the plan's message quota does not count it. The embedder runs in a worker
thread: it is CPU work.
"""

from __future__ import annotations

import base64
import secrets
import time

import anyio
import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agora.accounts import api_keys
from agora.api.openai.callers import Caller
from agora.api.openai.errors import OpenAIError
from agora.api.openai.key_plans import limits_for
from agora.api.openai.state import V1State
from agora.db import utcnow
from agora.inputs import parse_json
from agora.knowledge.chunking import count_tokens
from agora.knowledge.embedders import EmbedderUnavailable, named
from agora.knowledge.embedders.bundled import MODEL

MAX_INPUTS = 2048
MAX_INPUT_TOKENS = 8192


def parse(body: object) -> tuple[list[str], str]:
    """The inputs and encoding format of a request body, or a 400 naming the parameter."""
    if not isinstance(body, dict):
        raise OpenAIError(400, "The body must be a JSON object.", code="invalid_request_error")
    if body.get("model") != MODEL:
        raise OpenAIError(404, f"The model `{body.get('model')}` does not exist or you do not have access to it. Embeddings: `{MODEL}`.",
                          code="model_not_found", param="model")
    raw = body.get("input")
    inputs = [raw] if isinstance(raw, str) else raw
    if not isinstance(inputs, list) or not inputs or not all(isinstance(item, str) for item in inputs):
        raise OpenAIError(400, "`input` must be a string or a non-empty array of strings (token arrays are not accepted).",
                          code="invalid_request_error", param="input")
    if len(inputs) > MAX_INPUTS:
        raise OpenAIError(400, f"`input` may hold at most {MAX_INPUTS} strings; it has {len(inputs)}.", code="invalid_request_error", param="input")
    for index, item in enumerate(inputs):
        if not item.strip():
            raise OpenAIError(400, f"`input[{index}]` is empty.", code="invalid_request_error", param="input")
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise OpenAIError(400, "`encoding_format` must be `float` or `base64`.", code="invalid_request_error", param="encoding_format")
    if body.get("dimensions") not in (None, 512):
        raise OpenAIError(400, f"`{MODEL}` makes 512 dimensions; `dimensions` cannot change that.", code="invalid_request_error", param="dimensions")
    return inputs, encoding


def answer(vectors: np.ndarray, encoding: str, tokens: int) -> dict:
    def encoded(row: np.ndarray) -> list[float] | str:
        return base64.b64encode(row.astype("<f4").tobytes()).decode() if encoding == "base64" else row.tolist()

    data = [{"object": "embedding", "index": i, "embedding": encoded(row)} for i, row in enumerate(vectors)]
    return {"object": "list", "data": data, "model": MODEL, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


async def create_embeddings(request: Request, state: V1State, read_body, caller: Caller) -> Response:
    raw = await read_body(request, state.settings.api_max_body_bytes)
    state.usage.ensure_room()  # its usage could not be kept while the writer's queue is full (the database away)
    inputs, encoding = parse(parse_json(raw))
    counts = [count_tokens(item) for item in inputs]
    for index, count in enumerate(counts):
        if count > MAX_INPUT_TOKENS:
            raise OpenAIError(400, f"`input[{index}]` has {count} tokens; at most {MAX_INPUT_TOKENS}.", code="invalid_request_error", param="input")
    limits = limits_for(caller.plan, state.settings)
    decision = await state.limiter.acquire(caller.holder.public_id, limits, sum(counts))
    if not decision.allowed:
        raise OpenAIError(429, f"Rate limit reached for this API key. Try again in {decision.retry_after_seconds} s.", code="rate_limit_exceeded",
                          headers={**decision.headers(), "Retry-After": str(decision.retry_after_seconds)})
    started = time.monotonic()
    try:
        vectors = await anyio.to_thread.run_sync(_embed, state, inputs)
    except EmbedderUnavailable as trouble:  # nothing was embedded: nothing is metered
        raise OpenAIError(502, str(trouble), code="upstream_error") from None
    # The key's last use goes in the same write (as for a chat completion).
    state.usage.submit(usage_event(caller, sum(counts), round((time.monotonic() - started) * 1000)),
                       along=(api_keys.mark_all_used, caller.holder.key_id))
    return JSONResponse(answer(vectors, encoding, sum(counts)), headers=decision.headers())


def usage_event(caller: Caller, tokens: int, latency_ms: int) -> dict:
    """The call's usage record: its input tokens as prompt tokens, none completed; against the plan and workspace of the key."""
    return {
        "idempotency_key": "api:embd-" + secrets.token_urlsafe(18), "user_id": caller.holder.user.id,
        "workspace_id": caller.usage_workspace_id, "plan_code": caller.plan.code, "gpt_id": None, "gpt_version": None, "builder_id": None,
        "model": MODEL, "source": "api", "conversation_id": None, "message_id": None, "status": "complete", "prompt_tokens": tokens,
        "completion_tokens": 0, "latency_ms": latency_ms, "created_at": utcnow(),
    }


def _embed(state: V1State, inputs: list[str]) -> np.ndarray:
    return named("bundled", state.settings).embed(inputs)
