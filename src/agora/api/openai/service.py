"""What /v1 decides: which models a caller may use, and a call as the reply engine takes it.

A GPT is reached through the same engine as the web chat (agora.replies: its visibility
rule, plan checks and prompt): its hidden instructions go to the provider and nowhere
else, and a key sees exactly the GPTs its owner may use.

The plans apply as in the web chat, through the same checks (`agora.billing`): every call
needs a plan with API access; a GPT by another builder needs a plan that allows store GPTs;
a message to a GPT counts against the plan's message quota (counted after the rate limiter,
see routes.py). Base models are not GPTs: their use is bounded by the per-key rate limits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.api_keys import KeyHolder
from agora.accounts.models import User
from agora.api.openai.errors import invalid, model_not_found
from agora.api.openai.key_plans import KeyPlan
from agora.api.openai.schemas import ChatCompletionIn
from agora.config import Settings
from agora.errors import NotFound
from agora.gpts import access
from agora.gpts.ids import PREFIX as GPT_PREFIX
from agora.gpts.models import Gpt, GptVersion
from agora.knowledge.embedders.bundled import MODEL as EMBEDDING_MODEL
from agora.providers.base import Provider
from agora.replies.errors import ToolNameTaken, TooLong, ToolsUnsupported
from agora.replies.prepare import Prepared, prepare
from agora.replies.request import ReplyRequest

# /v1/models lists at most this many GPTs (the caller's own first, then the newest others);
# any GPT the caller may use works in /v1/models/{id} and chat completions, listed or not.
MODELS_LISTED = 1000


def base_models(provider: Provider, settings: Settings) -> list[str]:
    offered = provider.models()
    wanted = settings.api_base_models.strip()
    if wanted == "*":
        return offered
    return [m for m in (name.strip() for name in wanted.split(",")) if m in offered]


BASE_MODEL_DESCRIPTION = "A base model served by this Agora's model provider, without a GPT's instructions."
EMBEDDING_DESCRIPTION = "Text embeddings for /v1/embeddings: 512 dimensions, multilingual."


def model_object(model_id: str, *, created: int, owned_by: str, name: str = "", description: str = "") -> dict:
    """OpenAI's model fields, plus `name` and `description` as other gateways add them (a GPT's id says nothing)."""
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by, "name": name or model_id, "description": description}


def _system_model(model_id: str) -> dict:
    description = EMBEDDING_DESCRIPTION if model_id == EMBEDDING_MODEL else BASE_MODEL_DESCRIPTION
    return model_object(model_id, created=0, owned_by="system", description=description)


# The published version's description, read by the database from its JSON (no content parsed per GPT).
_DESCRIPTION = GptVersion.content["description"].as_string()


def list_models(session: Session, user: User, provider: Provider, settings: Settings) -> list[dict]:
    listed = [_system_model(name) for name in base_models(provider, settings)]
    listed.append(_system_model(EMBEDDING_MODEL))  # for /v1/embeddings
    rows = session.execute(
        select(Gpt.id, Gpt.published_at, User.handle, Gpt.name, _DESCRIPTION)
        .join(User, User.id == Gpt.owner_id)
        .outerjoin(GptVersion, (GptVersion.gpt_id == Gpt.id) & (GptVersion.number == Gpt.published_version))
        .where(access.usable(user))
        .order_by((Gpt.owner_id == user.id).desc(), Gpt.published_at.desc(), Gpt.id)
        .limit(MODELS_LISTED)
    )
    listed += [model_object(gpt_id, created=_timestamp(published), owned_by=handle, name=name, description=description or "")
               for gpt_id, published, handle, name, description in rows]
    return listed


def find_model(session: Session, user: User, model_id: str, provider: Provider, settings: Settings) -> dict:
    if model_id.startswith(GPT_PREFIX):
        gpt = _usable_gpt(session, user, model_id)
        owner = session.get(User, gpt.owner_id)
        description = session.scalar(select(_DESCRIPTION).where(GptVersion.gpt_id == gpt.id, GptVersion.number == gpt.published_version))
        return model_object(gpt.id, created=_timestamp(gpt.published_at), owned_by=owner.handle if owner else "", name=gpt.name,
                            description=description or "")
    if model_id in base_models(provider, settings) or model_id == EMBEDDING_MODEL:
        return _system_model(model_id)
    raise model_not_found(model_id)


def needs_session(body: ChatCompletionIn) -> bool:
    """Whether preparing `body` reads the database (a GPT's); a base model's call is prepared without."""
    return body.model.startswith(GPT_PREFIX)


def prepare_call(session: Session | None, *, holder: KeyHolder, plan: KeyPlan, workspace_id: int | None, body: ChatCompletionIn,
                 provider: Provider, settings: Settings, language: str) -> Prepared:
    """`body` prepared by the reply engine: a GPT's composed prompt, or the messages as sent to a base model.

    `plan` is the caller's plan in force, already checked for API access (every model needs
    it); `session` is needed when `needs_session(body)`. Refuses (nothing recorded) what the
    caller's plan does not allow, as the web chat does. The message is counted against the
    quota by the caller, after its rate limiter.
    """
    is_gpt = needs_session(body)
    if not is_gpt and body.model not in base_models(provider, settings):
        raise model_not_found(body.model)
    request = ReplyRequest(
        user=holder.user, source="api", messages=[m.for_provider() for m in body.messages], gpt_id=body.model if is_gpt else None,
        model=None if is_gpt else body.model, gpt_field="model", language=language, temperature=body.temperature, top_p=body.top_p,
        stop=tuple(body.stops), reply_limit=body.reply_limit, tools=body.tool_definitions, tool_choice=body.tool_choice,
        parallel_tool_calls=body.parallel_tool_calls, in_force=plan.in_force, workspace_id=workspace_id, count_message=False,
        whole_history=True,  # all of the caller's messages or none: silently dropping their history would change the answer
        screen=True,  # the last message is the new one, for the guardrails (agora.replies.guardrails)
    )
    try:
        return prepare(session, request, provider=provider, settings=settings)
    except NotFound:
        # 404 whether it does not exist or is not shared: nobody learns that a private GPT exists.
        raise model_not_found(body.model) from None
    except TooLong as too_long:
        raise invalid(
            f"This model's maximum context length is {too_long.window} tokens; your messages plus {too_long.reply_tokens} tokens for the reply "
            "(and the GPT's own instructions and tools, if any) do not fit. Shorten the messages.", "messages", "context_length_exceeded",
        ) from None
    except ToolsUnsupported as unsupported:
        raise invalid(
            f"The model `{body.model}` cannot call tools: the provider that runs it does not support them. "
            "Send the request without `tools` and tool messages.", unsupported.field, "tools_not_supported",
        ) from None
    except ToolNameTaken as taken:
        raise invalid(f"Invalid value for 'tools': {taken.message}", "tools", "invalid_value") from None


def _usable_gpt(session: Session, user: User, gpt_id: str) -> Gpt:
    try:
        return access.find_usable(session, gpt_id, user, field="model")
    except NotFound:
        # 404 whether it does not exist or is not shared: nobody learns that a private GPT exists.
        raise model_not_found(gpt_id) from None


def _timestamp(moment) -> int:
    return int(moment.timestamp()) if moment else 0
