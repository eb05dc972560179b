"""What the conversation pages show: messages with their HTML, the GPT's public face."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.chat import markdown, service
from agora.chat.models import Conversation, Message
from agora.gpts.models import Gpt


@dataclass(frozen=True)
class MessageView:
    message: Message
    html: str
    gpt_name: str


@dataclass(frozen=True)
class ConversationView:
    conversation: Conversation
    gpt: Gpt
    name: str
    avatar: str
    welcome: str
    starters: list[str]
    messages: list[MessageView]
    running: bool


def conversation_view(session: Session, conversation: Conversation, language: str, *, messages: list[Message] | None = None) -> ConversationView:
    """Only public texts of the GPT are read here: its instructions never reach a template."""
    gpt, content = service.gpt_of(session, conversation)
    messages = service.messages(session, conversation) if messages is None else messages
    other_ids = {m.gpt_id for m in messages if m.gpt_id and m.gpt_id != gpt.id}
    names = {gpt_id: gpt_name for gpt_id, gpt_name in session.execute(select(Gpt.id, Gpt.name).where(Gpt.id.in_(other_ids)))}
    name = str(content.text("name", language)) if content else gpt.name
    names[gpt.id] = name
    return ConversationView(
        conversation=conversation,
        gpt=gpt,
        name=name,
        avatar=content.avatar if content and len(content.avatar) <= 8 else "",  # emoji only; image avatars come with the builder
        welcome=str(content.text("welcome_message", language)) if content else "",
        starters=list(content.text("starters", language)) if content else [],
        messages=[MessageView(m, markdown.render(m.content) if m.role == "assistant" else "", names.get(m.gpt_id or "", "")) for m in messages],
        running=any(m.status == "streaming" for m in messages),
    )
