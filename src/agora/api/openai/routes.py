"""/v1 endpoints: thin HTTP around service.py (who, what) and generation.py (the reply).

Plain async functions of a Starlette request (app.py routes to them), without FastAPI's
dependency machinery. A base model's call touches no database on its way: the caller comes
from the per-process cache (callers.py), its usage is queued for the batched writer
(agora.metering.writer). A GPT's call reads its prompt and counts its quota in the thread pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from agora.accounts import api_keys
from agora.accounts.api_keys import KeyHolder
from agora.api.openai import replies, service
from agora.api.openai.callers import Caller
from agora.api.openai.errors import OpenAIError
from agora.api.openai.generation import Generation, Outcome, WholeReply, upstream_error
from agora.api.openai.schemas import ChatCompletionIn, parse
from agora.api.openai.state import V1State
from agora.billing import guard
from agora.db import utcnow
from agora.i18n import negotiate
from agora.inputs import parse_json
from agora.providers.base import ProviderError
from agora.ratelimit.buckets import Decision, Limits
from agora.ratelimit.policy import KeyPlan, limits_for


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


async def chat_completions(request: Request, state: V1State) -> Response:
    raw = await _read_body(request, state.settings.api_max_body_bytes)
    caller = await _caller(request, state, "chat")
    state.usage.ensure_room()
    holder = caller.holder
    body = parse(parse_json(raw))
    if service.needs_session(body):
        language = negotiate(request.headers.get("accept-language"), state.settings.default_language)
        call = await anyio.to_thread.run_sync(_prepare, state, holder, caller.plan, body, language)
    else:
        call = service.prepare(None, holder=holder, plan=caller.plan, body=body, provider=state.provider, settings=state.settings,
                               language=state.settings.default_language)
    limits = limits_for(call.plan, state.settings)
    decision = await state.limiter.acquire(holder.public_id, limits, call.prompt_tokens)
    if not decision.allowed:
        headers = {**decision.headers(), "Retry-After": str(decision.retry_after_seconds)}
        raise OpenAIError(429, f"Rate limit reached for this API key: {limits.requests_per_minute} requests and "
                          f"{limits.tokens_per_minute} tokens per minute. Try again in {decision.retry_after_seconds} s.",
                          code="rate_limit_exceeded", headers=headers)
    if call.gpt_id is not None:
        # After the limiter, so that a call it refuses uses none of the plan's message quota.
        await anyio.to_thread.run_sync(_count_message, state, holder, call)
    reply_id = replies.completion_id()
    finish = _finisher(state, caller, call, limits, reply_id)
    if body.stream:
        return await _stream(Generation(state.provider, call), body, reply_id, decision, finish)
    whole = WholeReply(state.provider, call)
    try:
        await whole.run()
    except ProviderError as error:
        raise upstream_error(error) from error
    finally:
        outcome = whole.outcome()
        await finish(outcome)
    return JSONResponse(replies.completion(reply_id, body.model, outcome), headers=decision.headers())


def _prepare(state: V1State, holder: KeyHolder, plan: KeyPlan, body: ChatCompletionIn, language: str) -> service.Call:
    with state.database.session() as session:
        return service.prepare(session, holder=holder, plan=plan, body=body, provider=state.provider, settings=state.settings,
                               language=language)


def _count_message(state: V1State, holder: KeyHolder, call: service.Call) -> None:
    with state.database.session() as session:
        guard.count_message(session, user_id=holder.user.id, gpt_id=call.gpt_id, limit=call.plan.entitlements.messages_per_window,
                            plan_name=call.plan.name, settings=state.settings)


def _finisher(state: V1State, caller: Caller, call: service.Call, limits: Limits, reply_id: str):
    holder = caller.holder

    async def finish(outcome: Outcome) -> None:
        """Meter the reply however it ended (a disconnect cancels us: this must still run)."""
        state.usage.submit({
            "user_id": holder.user.id, "gpt_id": call.gpt_id, "gpt_version": call.gpt_version, "builder_id": call.builder_id,
            "model": call.request.model, "message_id": None, "conversation_id": None, "status": outcome.status,
            "prompt_tokens": outcome.usage.prompt_tokens, "completion_tokens": outcome.usage.completion_tokens, "latency_ms": outcome.latency_ms,
            "source": "api", "created_at": utcnow(), "plan_code": call.plan.code, "workspace_id": caller.usage_workspace_id,
            # Keyed by the completion id: metering this reply twice (a retried batch) records it once.
            "idempotency_key": f"api:{reply_id}",
        }, along=(api_keys.mark_all_used, holder.key_id))
        with anyio.CancelScope(shield=True):
            # The prompt was taken up front (as estimated); now the reply's tokens.
            await state.limiter.charge(holder.public_id, limits, outcome.usage.completion_tokens)

    return finish


async def _stream(generation: Generation, body: ChatCompletionIn, reply_id: str, decision: Decision, finish) -> Response:
    # Wait for the first piece before answering, so a provider that fails at once gets a real
    # 502/504 status instead of an error inside a 200 stream.
    try:
        first = await generation.next_piece()
    except ProviderError as error:
        await finish(generation.outcome())
        raise upstream_error(error) from error
    except BaseException:
        await generation.aclose()
        await finish(generation.outcome())
        raise
    chunks = replies.Chunks(reply_id, body.model, include_usage=body.include_usage)

    async def events() -> AsyncIterator[bytes]:
        try:
            yield chunks.opening(first)
            piece = first
            while piece is not None:
                yield chunks.piece(piece)
                piece = await generation.next_piece()
            outcome = generation.outcome()
            yield chunks.ending(outcome)
            if body.include_usage:
                yield chunks.usage(outcome)
        except ProviderError as error:
            # Too late for a status: OpenAI's SDKs raise an APIError on an event carrying "error".
            yield replies.event(upstream_error(error).body())
        finally:
            await generation.aclose()
            await finish(generation.outcome())
        yield b"data: [DONE]\n\n"

    return _EventStream(events(), media_type="text/event-stream", headers={**decision.headers(), "Cache-Control": "no-cache"})


class _EventStream(StreamingResponse):
    """A streamed response whose events made in one turn of the event loop go out in one write.

    The provider's events from one read of the upstream come one after the other without
    waiting; sent as an HTTP chunk each, they cost a system call apiece (22 for a reply of
    20 pieces). Here they are joined, and sent as soon as the stream waits for more.
    """

    async def stream_response(self, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        pending: list[bytes] = []
        sender: asyncio.Task | None = None

        async def send_pending() -> None:
            while pending:
                body = b"".join(pending)
                pending.clear()
                await send({"type": "http.response.body", "body": body, "more_body": True})

        try:
            async for chunk in self.body_iterator:
                pending.append(chunk)
                if sender is None or sender.done():
                    if sender is not None:
                        sender.result()  # a send that failed (the client left) ends the stream
                    # Runs when this task next waits, with everything made until then.
                    sender = asyncio.get_running_loop().create_task(send_pending())
            if sender is not None:
                await sender
            await send_pending()
        finally:
            if sender is not None and not sender.done():
                sender.cancel()
        await send({"type": "http.response.body", "body": b"", "more_body": False})


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
