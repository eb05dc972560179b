"""What /v1 decides: who calls, which models they may use, and the provider request for a call.

A GPT is reached through the same visibility rule and prompt composition as the web chat
(`agora.chat.access`, `agora.chat.prompt`): its hidden instructions go to the provider and
nowhere else, and a key sees exactly the GPTs its owner may use.

The plans apply as in the web chat, through the same checks (`agora.billing`): every call
needs a plan with API access; a GPT by another builder needs a plan that allows store GPTs;
a message to a GPT counts against the plan's message quota (counted after the rate limiter,
see routes.py). Base models are not GPTs: their use is bounded by the per-key rate limits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.api_keys import KeyHolder
from agora.accounts.models import User
from agora.api.openai.errors import OpenAIError, invalid, model_not_found
from agora.api.openai.schemas import ChatCompletionIn
from agora.billing import entitlements
from agora.chat import access
from agora.chat.prompt import compose
from agora.chat.turns import choose_model
from agora.config import Settings
from agora.db import utcnow
from agora.errors import InvalidInput, NotFound
from agora.gpts import service as gpts
from agora.gpts.ids import PREFIX as GPT_PREFIX
from agora.gpts.models import Gpt
from agora.providers.base import CompletionRequest, Provider, supports_tools
from agora.ratelimit.policy import KeyPlan

# /v1/models lists at most this many GPTs (the caller's own first, then the newest others);
# any GPT the caller may use works in /v1/models/{id} and chat completions, listed or not.
MODELS_LISTED = 1000


@dataclass(frozen=True)
class Call:
    """A chat completion ready for the provider, and what its usage record needs."""

    request: CompletionRequest
    model: str  # as the caller named it: a GPT id or a base model
    gpt_id: str | None
    gpt_version: int | None
    builder_id: int | None  # the GPT's builder, whom usage credits
    prompt_tokens: int
    plan: KeyPlan  # in force for the caller: their limits, their quota, what the usage is metered against


def base_models(provider: Provider, settings: Settings) -> list[str]:
    offered = provider.models()
    wanted = settings.api_base_models.strip()
    if wanted == "*":
        return offered
    return [m for m in (name.strip() for name in wanted.split(",")) if m in offered]


def model_object(model_id: str, *, created: int, owned_by: str) -> dict:
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}


def list_models(session: Session, user: User, provider: Provider, settings: Settings) -> list[dict]:
    listed = [model_object(name, created=0, owned_by="system") for name in base_models(provider, settings)]
    rows = session.execute(
        select(Gpt.id, Gpt.published_at, User.handle)
        .join(User, User.id == Gpt.owner_id)
        .where(access.usable(user))
        .order_by((Gpt.owner_id == user.id).desc(), Gpt.published_at.desc(), Gpt.id)
        .limit(MODELS_LISTED)
    )
    listed += [model_object(gpt_id, created=_timestamp(published), owned_by=handle) for gpt_id, published, handle in rows]
    return listed


def find_model(session: Session, user: User, model_id: str, provider: Provider, settings: Settings) -> dict:
    if model_id.startswith(GPT_PREFIX):
        gpt = _usable_gpt(session, user, model_id)
        owner = session.get(User, gpt.owner_id)
        return model_object(gpt.id, created=_timestamp(gpt.published_at), owned_by=owner.handle if owner else "")
    if model_id in base_models(provider, settings):
        return model_object(model_id, created=0, owned_by="system")
    raise model_not_found(model_id)


def needs_session(body: ChatCompletionIn) -> bool:
    """Whether `prepare` reads the database for `body` (a GPT's prompt); a base model's call is prepared without."""
    return body.model.startswith(GPT_PREFIX)


def prepare(session: Session | None, *, holder: KeyHolder, plan: KeyPlan, body: ChatCompletionIn, provider: Provider, settings: Settings,
            language: str) -> Call:
    """The provider request for `body`: a GPT's composed prompt, or the messages as sent to a base model.

    `plan` is the caller's plan in force, already checked for API access (every model needs
    it); `session` is needed when `needs_session(body)`. Refuses (nothing recorded) what the
    caller's plan does not allow, as the web chat does.
    """
    user = holder.user
    messages = [m.for_provider() for m in body.messages]
    reply_tokens = min(body.reply_limit or settings.chat_max_reply_tokens, settings.chat_max_reply_tokens)
    if body.model.startswith(GPT_PREFIX):
        gpt = _usable_gpt(session, user, body.model)
        content = gpts.published_content(session, gpt)
        if content is None:
            raise model_not_found(body.model)
        entitlements.check_use_under(session, user, gpt, plan.in_force)  # store GPTs by others
        model = choose_model(provider, settings, content.model)
        tool_tokens = _tool_tokens(body, provider, model)
        try:
            prompt = compose(
                provider=provider, model=model, content=content, language=language, history=messages,
                reply_tokens=reply_tokens + tool_tokens, today=utcnow().date(),
            )
        except InvalidInput:
            raise _too_long(provider, model, reply_tokens) from None
        # All of the caller's messages or none: silently dropping their history would change the answer.
        if prompt.omitted:
            raise _too_long(provider, model, reply_tokens)
        temperature = body.temperature if body.temperature is not None else content.temperature
        top_p = body.top_p if body.top_p is not None else content.top_p
        messages, prompt_tokens, gpt_id, version, builder = prompt.messages, prompt.prompt_tokens + tool_tokens, gpt.id, gpt.published_version, gpt.owner_id
    elif body.model in base_models(provider, settings):
        model = body.model
        prompt_tokens = provider.count_tokens(messages, model) + _tool_tokens(body, provider, model)
        if prompt_tokens + reply_tokens > provider.context_window(model):
            raise _too_long(provider, model, reply_tokens)
        temperature = body.temperature if body.temperature is not None else 1.0
        top_p = body.top_p if body.top_p is not None else 1.0
        gpt_id = version = builder = None
    else:
        raise model_not_found(body.model)
    request = CompletionRequest(
        messages=messages, model=model, temperature=temperature, top_p=top_p, max_tokens=reply_tokens,
        stop=body.stops, tools=body.tool_definitions, tool_choice=body.tool_choice, parallel_tool_calls=body.parallel_tool_calls,
    )
    return Call(request=request, model=body.model, gpt_id=gpt_id, gpt_version=version, builder_id=builder, prompt_tokens=prompt_tokens, plan=plan)


def _tool_tokens(body: ChatCompletionIn, provider: Provider, model: str) -> int:
    """What the tool definitions take in the prompt; refuses tools a provider cannot call rather than drop them."""
    if not body.uses_tools:
        return 0
    if not supports_tools(provider, model):
        raise invalid(
            f"The model `{body.model}` cannot call tools: the provider that runs it does not support them. "
            "Send the request without `tools` and tool messages.",
            "tools" if body.tools else "messages", "tools_not_supported",
        )
    return provider.count_tokens([{"role": "system", "content": json.dumps(body.tool_definitions)}], model) if body.tools else 0


def _usable_gpt(session: Session, user: User, gpt_id: str) -> Gpt:
    try:
        return access.find_usable(session, gpt_id, user, field="model")
    except NotFound:
        # 404 whether it does not exist or is not shared: nobody learns that a private GPT exists.
        raise model_not_found(gpt_id) from None


def _too_long(provider: Provider, model: str, reply_tokens: int) -> OpenAIError:
    limit = provider.context_window(model)
    return invalid(
        f"This model's maximum context length is {limit} tokens; your messages plus {reply_tokens} tokens for the reply "
        "(and the GPT's own instructions, if any) do not fit. Shorten the messages.",
        "messages",
        "context_length_exceeded",
    )


def _timestamp(moment) -> int:
    return int(moment.timestamp()) if moment else 0
