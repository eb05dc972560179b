"""Previewing a GPT's saved draft: the chat runtime's prompt and provider, nothing stored.

Only the GPT's editors may preview (the draft's instructions are theirs). A preview counts
against the builder's message quota like any chat, but leaves no conversation behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.billing import guard
from agora.chat.prompt import compose
from agora.chat.turns import check_content, choose_model
from agora.config import Settings
from agora.db import utcnow
from agora.errors import InvalidInput
from agora.gpts import access
from agora.gpts.content import GptContent
from agora.i18n import gettext as _
from agora.providers.base import CompletionRequest, Finished, Provider, ProviderError, Queued, TextDelta

MAX_TURNS = 40


class PreviewMessage(BaseModel):
    role: str = Field(pattern="^(user|assistant)$")
    content: str


class PreviewIn(BaseModel):
    messages: list[PreviewMessage] = Field(min_length=1, max_length=MAX_TURNS)


def prepare(session: Session, *, gpt_id: str, user: User, body: PreviewIn, provider: Provider, settings: Settings, language: str) -> CompletionRequest:
    gpt = access.find(session, gpt_id, user, "edit")
    if body.messages[-1].role != "user":
        raise InvalidInput(_("A preview ends with the builder's message."), field="messages")
    history = [{"role": m.role, "content": check_content(m.content, settings)} for m in body.messages]
    content = GptContent.model_validate(gpt.draft)
    model = choose_model(provider, settings, content.model)
    prompt = compose(
        provider=provider, model=model, content=content, language=language, history=history,
        reply_tokens=settings.chat_max_reply_tokens, today=utcnow().date(),
    )
    guard.before_reply(session, user=user, gpt=gpt, settings=settings)  # entitlement and quota, like a chat
    return CompletionRequest(
        messages=prompt.messages, model=model, temperature=content.temperature, top_p=content.top_p,
        max_tokens=settings.chat_max_reply_tokens,
    )


async def run(provider: Provider, request: CompletionRequest) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """("queued"|"delta", ...) events, then one ("done", {"status", "error", "usage"})."""
    done: dict[str, Any] = {"status": "failed", "error": _("The model stopped without finishing."), "usage": None}
    try:
        async for event in provider.stream(request):
            if isinstance(event, TextDelta):
                yield "delta", {"text": event.text}
            elif isinstance(event, Queued):
                yield "queued", {"position": event.position}
            elif isinstance(event, Finished):
                usage = {"prompt_tokens": event.usage.prompt_tokens, "completion_tokens": event.usage.completion_tokens}
                done = {"status": "complete", "error": "", "usage": usage}
    except ProviderError as error:
        done = {"status": "failed", "error": error.message, "usage": None}
    yield "done", done
