"""Previewing a GPT's saved draft through the reply engine: no conversation stored, the usage metered as "preview".

Only the GPT's editors may preview (the draft's instructions are theirs). A preview counts
against the builder's message quota like any chat, runs the draft's tools like any reply,
and is metered like any model call, marked "preview" so that rollups, trending and payouts
leave it out (agora.metering.batch).
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.chat import markdown
from agora.config import Settings
from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.knowledge.citations import labelled
from agora.metering.writer import UsageWriter
from agora.providers.base import Provider
from agora.replies.engine import Reply
from agora.replies.model_call import Emit
from agora.replies.prepare import Prepared, prepare
from agora.replies.request import ReplyRequest, Timezone, checked_message

MAX_TURNS = 40


class PreviewMessage(BaseModel):
    role: str = Field(pattern="^(user|assistant)$")
    content: str


class PreviewIn(BaseModel):
    messages: list[PreviewMessage] = Field(min_length=1, max_length=MAX_TURNS)
    timezone: Timezone = "UTC"  # the builder's, for the draft's tools that tell the time


def prepare_preview(session: Session, *, gpt_id: str, user: User, body: PreviewIn, provider: Provider, settings: Settings, language: str) -> Prepared:
    if body.messages[-1].role != "user":
        raise InvalidInput(_("A preview ends with the builder's message."), field="messages")
    history: list[dict[str, Any]] = [{"role": m.role, "content": checked_message(m.content, settings)} for m in body.messages]
    request = ReplyRequest(user=user, source="preview", messages=history, gpt_id=gpt_id, draft=True, language=language, timezone=body.timezone,
                           screen=True)
    return prepare(session, request, provider=provider, settings=settings)


class PreviewRun:
    """A preview's reply, streamed by agora.chat.sse: `delta`, `queued` and `tool` events, then `done` {"status", "error", "usage", "citations",
    "confirm", "html", "withheld"}: a consequential call of the draft ends the preview's reply `waiting`, the call shown and not made; `html` is
    the reply as the chat renders it."""

    def __init__(self, *, provider: Provider, prepared: Prepared, writer: UsageWriter) -> None:
        self.reply = Reply(provider=provider, prepared=prepared, writer=writer, usage_key=f"preview:{uuid.uuid4().hex}")

    def client_gone(self) -> None:
        self.reply.stop(client_gone=True)

    async def run(self, emit: Emit) -> dict[str, Any]:
        outcome = await self.reply.run(emit)
        usage = {"prompt_tokens": outcome.usage.prompt_tokens, "completion_tokens": outcome.usage.completion_tokens}
        cited = [labelled(citation.shown()) for citation in outcome.citations]
        waiting = outcome.waiting.shown() if outcome.waiting is not None else []  # consequential calls: shown, never made here
        # `html`: the same Markdown renderer and sanitizer as the chat's.
        return {"status": "waiting" if waiting else outcome.status, "error": outcome.reason, "usage": usage, "citations": cited,
                "confirm": waiting, "html": markdown.render(outcome.text), "withheld": outcome.refusal}
