"""Preparing a reply: admission, the model, the tools offered, the composed prompt, the first request to the provider.

Runs in the caller's transaction (the chat stores the user's message in it), before any
token is asked for: every refusal happens here, and the message is counted against the
quota last, once nothing else can refuse it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from agora.billing import guard
from agora.config import Settings
from agora.credits import holds
from agora.db import utcnow
from agora.knowledge import retrieval
from agora.knowledge.citations import Citation, download_path
from agora.providers.base import CompletionRequest, Provider, supports_tools
from agora.replies import admission, compose, context, guardrails
from agora.replies.errors import ToolNameTaken, ToolsUnsupported
from agora.replies.leaks import Instructions, instructions_for
from agora.replies.request import ReplyRequest, Source
from agora.tools import allowances, registry
from agora.tools.base import Tool, ToolContext, ToolOwner


@dataclass(frozen=True)
class Metering:
    """What the reply's usage event says besides its tokens: who, what, on which plan, from where."""

    source: Source
    user_id: int
    plan_code: str
    workspace_id: int | None
    gpt_id: str | None
    gpt_version: int | None  # None for a base model and for the preview's draft
    builder_id: int | None
    conversation_id: str | None


@dataclass(frozen=True)
class Prepared:
    request: CompletionRequest  # the first call to the model
    prompt_tokens: int  # its prompt, tool definitions included
    omitted: int  # earlier messages left out of the prompt: they did not fit
    tools: dict[str, Tool]  # the GPT's own tools offered to the model, by name: the engine runs their calls
    caller_tools: frozenset[str]  # names of the tools the caller supplied: their calls go back to the caller
    tool_tokens: int  # what the tool definitions take in every call's prompt
    context: ToolContext
    metering: Metering
    citations: tuple[Citation, ...] = ()  # the knowledge passages in the prompt, numbered as the model sees them
    # A priced GPT's message this user pays for (agora.credits): held where the message is counted, settled with the outcome.
    charge: holds.Charge | None = None
    # The GPT's instructions as the instruction-leak filter watches for them (agora.replies.leaks); None when it is off.
    leaks: Instructions | None = None
    flagged: guardrails.Flagged | None = None  # the new message, flagged by the guardrails: recorded with the reply
    # In the chat, the calls the person "always allows" (agora.tools.allowances): the tools that ask first run without asking.
    # None where nobody is asked before such calls (/v1, the editor's preview): they run.
    allowed_always: frozenset[tuple[str, str]] | None = None


def choose_model(provider: Provider, settings: Settings, wanted: str | None) -> str:
    """The GPT's model if the provider offers it; else the operator's default, else the provider's first."""
    offered = provider.models()
    if wanted and wanted in offered:
        return wanted
    return settings.chat_model or offered[0]


def prepare(session: Session | None, request: ReplyRequest, *, provider: Provider, settings: Settings, today: date | None = None) -> Prepared:
    """Check and compose `request`. `session` may be None for a base model (nothing to read)."""
    admitted = admission.admit(session, request, settings)
    gpt, content = admitted.gpt, admitted.content
    charge = None
    if gpt is not None and request.priced:  # a priced GPT: refused now (before anything is composed or called) when nobody can pay
        assert session is not None
        charge = holds.quote(session, user=request.user, gpt=gpt, in_force=admitted.in_force, settings=settings, draft=request.draft)
    flagged = guardrails.check_message(request, settings)  # a blocked message is refused here: nothing counted, nothing sent
    model = choose_model(provider, settings, content.model) if content is not None else str(request.model)
    reply_tokens = min(request.reply_limit or settings.chat_max_reply_tokens, settings.chat_max_reply_tokens)
    can_call = supports_tools(provider, model)
    own = {tool.name: tool for tool in registry.tools_for(session, ToolOwner(gpt.id, content, settings))} if gpt and content and can_call else {}
    caller = _caller_tools(request, can_call, own)
    definitions = [registry.definition(tool) for tool in own.values()] + list(request.tools or ())
    tool_tokens = provider.count_tokens([{"role": "system", "content": json.dumps(definitions)}], model) if definitions else 0
    system, found = _system(session, request, gpt, content, provider=provider, model=model, settings=settings,
                            reserved=reply_tokens + tool_tokens, today=today or utcnow().date())
    prompt = compose.compose(provider=provider, model=model, history=request.messages, reply_tokens=reply_tokens, system=system,
                             extra_tokens=tool_tokens, whole_history=request.whole_history)
    if gpt is not None and request.count_message:
        assert session is not None
        guard.count_message(session, user_id=request.user.id, gpt_id=gpt.id, limit=admitted.in_force.entitlements.messages_per_window,
                            plan_name=admitted.in_force.plan.name, settings=settings)
        if charge is not None:
            holds.reserve(session, charge, admitted.in_force)
    completion = CompletionRequest(
        messages=prompt.messages, model=model, max_tokens=reply_tokens, stop=list(request.stop),
        temperature=_chosen(request.temperature, content.temperature if content else 1.0),
        top_p=_chosen(request.top_p, content.top_p if content else 1.0),
        tools=definitions or None, tool_choice=request.tool_choice, parallel_tool_calls=request.parallel_tool_calls,
    )
    return Prepared(
        request=completion, prompt_tokens=prompt.prompt_tokens, omitted=prompt.omitted, tools=own, caller_tools=caller, tool_tokens=tool_tokens,
        context=ToolContext(request.user.id, gpt.id if gpt else None, request.conversation_id, request.language, request.timezone, settings),
        metering=Metering(request.source, request.user.id, admitted.in_force.plan.code, admitted.workspace_id, gpt.id if gpt else None,
                          None if gpt is None or request.draft else gpt.published_version, gpt.owner_id if gpt else None, request.conversation_id),
        citations=tuple(_with_downloads(found.citations, gpt, content, draft=request.draft)), charge=charge,
        leaks=_leaks(content, settings), flagged=flagged, allowed_always=_allowed_always(session, request, gpt, own),
    )


def _leaks(content: Any, settings: Settings) -> Instructions | None:
    """What the leak filter watches for, when the GPT has it on: its instructions in every language it has them in."""
    if content is None or not content.leak_filter:
        return None
    texts = [content.instructions, *(translated.instructions for translated in content.localized.values())]
    return instructions_for(texts, settings.leak_filter_words)


def _allowed_always(session: Session | None, request: ReplyRequest, gpt: Any, own: dict[str, Tool]) -> frozenset[tuple[str, str]] | None:
    """Read only in the chat, and only for a GPT with tools that ask first (most have none: no query)."""
    if request.source != "web":
        return None
    if session is None or gpt is None or not any(allowances.asks_first(tool) for tool in own.values()):
        return frozenset()
    return allowances.allowed_always(session, user_id=request.user.id, gpt_id=gpt.id)


def _with_downloads(citations: list[Citation], gpt: Any, content: Any, *, draft: bool) -> list[Citation]:
    """The citations with a link to download their file, when the published version lets users download its files."""
    if draft or gpt is None or content is None or not content.knowledge_downloads or content.hide_instructions:
        return citations
    return [replace(citation, download=download_path(gpt.id, citation.file_id)) for citation in citations]


def _system(session: Session | None, request: ReplyRequest, gpt: Any, content: Any, *, provider: Provider, model: str, settings: Settings,
            reserved: int, today: date) -> tuple[dict[str, str] | None, compose.Knowledge]:
    """The GPT's system message (None for a base model), with the passages retrieved from its files for the last message."""
    if gpt is None or content is None:
        return None, compose.Knowledge("", [])
    assert session is not None
    sections = context.sections(session, context.ContextQuery(gpt.id, content, request.messages, request.language, request.user.id))
    system = compose.system_message(content=content, language=request.language, today=today, sections=sections)
    version = None if request.draft else gpt.published_version
    hits = retrieval.passages_for(session, gpt_id=gpt.id, version=version, history=request.messages, settings=settings)
    if not hits:
        return system, compose.Knowledge("", [])
    found = compose.knowledge(hits, budget=_knowledge_budget(provider, model, settings, system, reserved), provider=provider, model=model)
    return compose.system_message(content=content, language=request.language, today=today, sections=[*sections, found.section]), found


def _knowledge_budget(provider: Provider, model: str, settings: Settings, system: dict[str, str], reserved: int) -> int:
    """Tokens retrieved passages may take: the setting's, and never more than half of what the window has left once the
    instructions, the reply and the tools have their room (the other half is for the conversation)."""
    left = provider.context_window(model) - reserved - provider.count_tokens([system], model)
    return max(min(settings.knowledge_context_tokens, left // 2), 0)


def _caller_tools(request: ReplyRequest, can_call: bool, own: dict[str, Tool]) -> frozenset[str]:
    """The names of the caller's tools; refuses tools a provider cannot call rather than drop them, and names the GPT's own take."""
    uses_tools = bool(request.tools) or any(m.get("role") == "tool" or m.get("tool_calls") for m in request.messages)
    if uses_tools and not can_call:
        raise ToolsUnsupported(field="tools" if request.tools else "messages")
    names = frozenset(tool["function"]["name"] for tool in request.tools or ())
    for name in names & own.keys():
        raise ToolNameTaken(name)
    return names


def _chosen(asked: Any, default: float) -> float:
    return default if asked is None else asked
