"""What the engine is asked: who asks which GPT (or base model), with which messages and options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

from agora.accounts.models import User
from agora.billing.entitlements import PlanInForce
from agora.config import Settings
from agora.errors import InvalidInput
from agora.i18n import gettext as _

Source = Literal["web", "api", "preview"]


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("use an IANA time zone name, such as Europe/Paris") from None
    return name


# A time zone as the browser names it (Intl.DateTimeFormat().resolvedOptions().timeZone), for request bodies.
Timezone = Annotated[str, Field(max_length=64), AfterValidator(_known_timezone)]


@dataclass(frozen=True)
class ReplyRequest:
    user: User
    source: Source
    # The conversation so far, oldest first, in OpenAI's message shape, ending with what is to be answered.
    messages: list[dict[str, Any]]
    gpt_id: str | None = None  # the GPT asked; None: the base model `model`
    model: str | None = None
    draft: bool = False  # the editor's preview: the GPT's saved draft, for its editors only
    gpt_field: str = "gpt_id"  # the request field that named the GPT, for errors about it
    language: str = "en"
    timezone: str = "UTC"  # an IANA name, for tools that tell the time
    conversation_id: str | None = None
    temperature: float | None = None  # None: the GPT's own (a base model's: 1)
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    reply_limit: int | None = None  # tokens; never more than AGORA_CHAT_MAX_REPLY_TOKENS
    # Tools the caller supplied (/v1, OpenAI's shapes): the model's calls to them are returned to the caller.
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    # The caller's plan in force and metering workspace, when already known (/v1 keeps them per key).
    in_force: PlanInForce | None = None
    workspace_id: int | None = None
    count_message: bool = True  # False: the caller counts the message against the quota itself (/v1, after its rate limiter)
    priced: bool = True  # False: a reply carried on after a confirmed tool call, whose message was already charged (agora.credits)
    whole_history: bool = False  # refuse a history too long for the model rather than leave its oldest messages out (/v1)
    screen: bool = False  # the last message is the person's new one: the guardrails screen it (agora.replies.guardrails)


def checked_message(content: str, settings: Settings) -> str:
    """A person's message as the model gets it (trimmed), or InvalidInput naming `content`."""
    if not content.strip():
        raise InvalidInput(_("Write a message first."), field="content")
    if len(content) > settings.chat_max_message_chars:
        raise InvalidInput(
            _("Messages can be at most %(max)s characters; this one has %(count)s.", max=settings.chat_max_message_chars, count=len(content)),
            field="content",
        )
    return content.strip()
