"""/v1 endpoints: thin HTTP around service.py (which models) and the reply engine (agora.replies).

Plain async functions of a Starlette request (app.py routes to them), without FastAPI's
dependency machinery. A base model's call touches no database on its way: the caller comes
from the per-process cache (callers.py), its usage is queued for the batched writer
(agora.metering.writer). A GPT's call reads its prompt and counts its quota in the thread pool.
"""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agora.accounts import api_keys
from agora.api.openai import replies, service
from agora.api.openai.callers import Caller
from agora.api.openai.embeddings import create_embeddings
from agora.api.openai.errors import OpenAIError, content_policy_violation, upstream_error
from agora.api.openai.key_plans import limits_for
from agora.api.openai.schemas import ChatCompletionIn, parse
from agora.api.openai.state import V1State
from agora.api.openai.streaming import CompletionStream
from agora.billing import guard
from agora.credits import holds
from agora.i18n import negotiate
from agora.inputs import parse_json
from agora.replies import guardrails
from agora.replies.engine import Reply
from agora.replies.outcome import Outcome
from agora.replies.prepare import Prepared


async def _caller(request: Request, state: V1State, scope: str) -> Caller:
    return await state.callers.caller(request.headers.get("authorization"), scope, database=state.database, plans=state.plans,
                                      settings=state.settings)


async def list_models(request: Request, state: V1State) -> Response:
    holder = (await _caller(request, state, "models:read")).holder

    def load() -> list[dict]:
        with state.database.session() as session:
            return service.list_models(session, holder.user, state.provider, state.settings)

    listed = await anyio.to_thread.run_sync(load)
    state.usage.submit(None, along=(api_keys.mark_all_used, holder.key_id))
    return JSONResponse({"object": "list", "data": listed})


async def get_model(request: Request, state: V1State, model_id: str) -> Response:
    holder = (await _caller(request, state, "models:read")).holder

    def load() -> dict:
        with state.database.session() as session:
            return service.find_model(session, holder.user, model_id, state.provider, state.settings)

    found = await anyio.to_thread.run_sync(load)
    state.usage.submit(None, along=(api_keys.mark_all_used, holder.key_id))
    return JSONResponse(found)


async def embeddings(request: Request, state: V1State) -> Response:
    return await create_embeddings(request, state, _read_body, await _caller(request, state, "chat"))


async def chat_completions(request: Request, state: V1State) -> Response:
    raw = await _read_body(request, state.settings.api_max_body_bytes)
    caller = await _caller(request, state, "chat")
    state.usage.ensure_room()
    holder = caller.holder
    body = parse(parse_json(raw))
    prepared = await _prepared(request, state, caller, body)
    limits = limits_for(caller.plan, state.settings)
    decision = await state.limiter.acquire(holder.public_id, limits, prepared.prompt_tokens)
    if not decision.allowed:
        headers = {**decision.headers(), "Retry-After": str(decision.retry_after_seconds)}
        raise OpenAIError(429, f"Rate limit reached for this API key: {limits.requests_per_minute} requests and "
                          f"{limits.tokens_per_minute} tokens per minute. Try again in {decision.retry_after_seconds} s.",
                          code="rate_limit_exceeded", headers=headers)
    if prepared.metering.gpt_id is not None:
        # After the limiter, so that a call it refuses uses none of the plan's message quota (nor holds a priced message's credit).
        await anyio.to_thread.run_sync(_count_message, state, caller, prepared)
    reply_id = replies.completion_id()
    # Keyed by the completion id: metering this reply twice (a retried batch) records it once. The key's last use goes with it.
    reply = Reply(provider=state.provider, prepared=prepared, writer=state.usage, usage_key=f"api:{reply_id}",
                  keep=lambda outcome: (api_keys.mark_all_used, holder.key_id))

    async def ended(outcome: Outcome) -> None:
        # The prompt was taken up front (as estimated); now the reply's tokens.
        await state.limiter.charge(holder.public_id, limits, outcome.usage.completion_tokens)

    if body.stream:
        chunks = replies.Chunks(reply_id, body.model, include_usage=body.include_usage)
        return CompletionStream(reply, chunks, include_usage=body.include_usage, headers=decision.headers(), ended=ended)
    try:
        outcome = await reply.run(whole=True)
    finally:
        if reply.outcome is not None:
            with anyio.CancelScope(shield=True):
                await ended(reply.outcome)
    if outcome.failure is not None:
        raise upstream_error(outcome.failure)
    if outcome.status != "complete" and outcome.finish_reason != "content_filter":  # cut by the instruction-leak filter: an answer
        raise OpenAIError(502, f"The model server failed: {outcome.reason}", code="upstream_error")
    return JSONResponse(replies.completion(reply_id, body.model, outcome), headers=decision.headers())


async def _prepared(request: Request, state: V1State, caller: Caller, body: ChatCompletionIn) -> Prepared:
    """The call prepared by the reply engine: a GPT's in the thread pool (it reads the database), a base model's on the loop
    unless the guardrails screen its message (that may wait on a moderation server)."""
    try:
        if service.needs_session(body):
            language = negotiate(request.headers.get("accept-language"), state.settings.default_language)
            return await anyio.to_thread.run_sync(_prepare, state, caller, body, language)
        if guardrails.active(state.settings):
            return await anyio.to_thread.run_sync(_prepare_base, state, caller, body)
        return _prepare_base(state, caller, body)
    except guardrails.MessageBlocked as blocked:  # nothing was recorded for the call: the moderators' copy goes in its own write
        state.usage.submit(None, along=blocked.record)
        raise content_policy_violation(blocked) from None


def _prepare(state: V1State, caller: Caller, body: ChatCompletionIn, language: str) -> Prepared:
    with state.database.session() as session:
        return service.prepare_call(session, holder=caller.holder, plan=caller.plan, workspace_id=caller.usage_workspace_id, body=body,
                                    provider=state.provider, settings=state.settings, language=language)


def _prepare_base(state: V1State, caller: Caller, body: ChatCompletionIn) -> Prepared:
    return service.prepare_call(None, holder=caller.holder, plan=caller.plan, workspace_id=caller.usage_workspace_id, body=body,
                                provider=state.provider, settings=state.settings, language=state.settings.default_language)


def _count_message(state: V1State, caller: Caller, prepared: Prepared) -> None:
    assert prepared.metering.gpt_id is not None
    with state.database.session() as session:
        guard.count_message(session, user_id=caller.holder.user.id, gpt_id=prepared.metering.gpt_id,
                            limit=caller.plan.entitlements.messages_per_window, plan_name=caller.plan.name, settings=state.settings)
        if prepared.charge is not None:
            holds.reserve(session, prepared.charge, caller.plan.in_force)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to be too large (before any parsing)."""
    too_large = OpenAIError(413, f"The request body is larger than {limit} bytes.", code="request_too_large")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for piece in request.stream():
        size += len(piece)
        if size > limit:
            raise too_large
        chunks.append(piece)
    return b"".join(chunks)
