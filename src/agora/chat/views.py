"""What the conversation pages show: messages with their HTML, the GPT's public face."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.chat import markdown, owners, service
from agora.chat.models import Conversation, Message
from agora.gpts import access
from agora.gpts import service as gpts
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.knowledge.citations import labelled
from agora.replies.waiting import Waiting
from agora.tools import registry


@dataclass(frozen=True)
class MessageView:
    message: Message
    html: str
    gpt_name: str
    tool_lines: list[str]
    interrupted: bool  # still `streaming`, but the worker writing it is gone
    citations: list[dict] = field(default_factory=list)  # numbered sources, each with its `label` in the reader's language
    confirm: list[dict] = field(default_factory=list)  # while `waiting`: the consequential calls to allow or deny
    cut: bool = False  # complete, but the token limit ended it: "Continue" goes on
    # For each tool line, the pages that tool drew on (web search results, a map): {"title", "url"}
    tool_links: list[list[dict]] = field(default_factory=list)


def tool_line(shown: dict) -> str:
    """What the chat shows of a tool the GPT used, in the reader's language: "Used Calculator: 2+2 = 4"."""
    if shown.get("ok"):
        return _("Used %(tool)s: %(summary)s", tool=registry.title(shown["name"]), summary=shown["summary"])
    return _("%(tool)s could not answer: %(reason)s", tool=registry.title(shown["name"]), reason=shown["summary"])


def tool_links(shown: dict) -> list[dict]:
    """The pages a tool drew on, as stored with its use; only http(s) addresses, since each is shown as a link."""
    links = []
    for link in shown.get("sources") or ():
        url = str(link.get("url") or "")
        if url.startswith(("https://", "http://")):
            links.append({"title": str(link.get("title") or url), "url": url})
    return links


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
    rows = session.execute(select(Gpt.id, Gpt.name).where(Gpt.id.in_(other_ids)))
    names = {gpt_id: gpt_name for gpt_id, gpt_name in rows}  # noqa: C416 - dict(rows) reads a Result as a mapping: it has keys()
    name = str(content.text("name", language)) if content else gpt.name
    names[gpt.id] = name
    return ConversationView(
        conversation=conversation,
        gpt=gpt,
        name=name,
        avatar=content.avatar if content and len(content.avatar) <= 8 else "",  # emoji only; image avatars come with the builder
        welcome=str(content.text("welcome_message", language)) if content else "",
        starters=list(content.text("starters", language)) if content else [],
        messages=[_view(chain, names) for chain in _replies_joined(messages)],
        running=any(m.status == "streaming" and not owners.orphaned(m) for m in messages),
    )


@dataclass(frozen=True)
class NewChatView:
    """A chat about to start: the GPT's public face, before any conversation exists."""

    gpt: Gpt
    name: str
    avatar: str
    welcome: str


def new_chat_view(session: Session, user: User, gpt_id: str, language: str) -> NewChatView:
    gpt = access.find_usable(session, gpt_id, user)
    content = gpts.published_content(session, gpt)
    return NewChatView(
        gpt=gpt,
        name=str(content.text("name", language)) if content else gpt.name,
        avatar=content.avatar if content and len(content.avatar) <= 8 else "",
        welcome=str(content.text("welcome_message", language)) if content else "",
    )


def _replies_joined(messages: list[Message]) -> list[list[Message]]:
    """Each message alone, except a reply and its continuations (replies in a row), which read as one."""
    chains: list[list[Message]] = []
    for message in messages:
        if message.role == "assistant" and chains and chains[-1][-1].role == "assistant":
            chains[-1].append(message)
        else:
            chains.append([message])
    return chains


def _view(chain: list[Message], names: dict[str, str]) -> MessageView:
    """One message; for a reply with continuations, the last one's state with the whole text."""
    first, message = chain[0], chain[-1]
    reply = message.role == "assistant"
    return MessageView(message, markdown.render("".join(m.content for m in chain)) if reply else "", names.get(first.gpt_id or "", ""),
                       [tool_line(use) for m in chain for use in m.tool_uses or ()],
                       message.status == "streaming" and owners.orphaned(message),
                       [labelled(c) for m in chain for c in m.citations or ()],
                       Waiting.from_stored(message.waiting).shown() if message.waiting else [],
                       cut=reply and message.status == "complete" and message.finish_reason == "length",
                       tool_links=[tool_links(use) for m in chain for use in m.tool_uses or ()])
