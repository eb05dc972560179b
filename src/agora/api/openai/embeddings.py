"""POST /v1/embeddings: the bundled embedder for API users, in OpenAI's request and response shapes.

The model is the one knowledge uses (`agora-use-multilingual-v3`, listed by /v1/models); inputs
are strings (a string or a list of at most 2,048), each at most 8,192 tokens (Agora's count,
agora.knowledge.chunking). Vectors come as floats or base64 (little-endian float32), as
OpenAI's `encoding_format` asks. Calls take the key's requests and tokens from the same rate
limiter as chat completions. The embedder runs in a worker thread: it is CPU work.
"""

from __future__ import annotations

import base64

import anyio
import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agora.api.openai.errors import OpenAIError
from agora.api.openai.key_plans import limits_for
from agora.api.openai.state import V1State
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


async def create_embeddings(request: Request, state: V1State, read_body, caller) -> Response:
    raw = await read_body(request, state.settings.api_max_body_bytes)
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
    try:
        vectors = await anyio.to_thread.run_sync(_embed, state, inputs)
    except EmbedderUnavailable as trouble:
        raise OpenAIError(502, str(trouble), code="upstream_error") from None
    return JSONResponse(answer(vectors, encoding, sum(counts)), headers=decision.headers())


def _embed(state: V1State, inputs: list[str]) -> np.ndarray:
    return named("bundled", state.settings).embed(inputs)
