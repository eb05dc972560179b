"""Conversations: starting, listing, renaming, deleting and sharing them. No HTTP here."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.chat.models import Conversation, Message
from agora.db import utcnow
from agora.errors import InvalidInput, NotFound
from agora.gpts import access
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.store import reviews

MAX_TITLE = 120
TITLE_FROM_MESSAGE = 60


def start(session: Session, *, user: User, gpt_id: str) -> Conversation:
    gpt = access.find_usable(session, gpt_id, user)
    conversation = Conversation(id=secrets.token_hex(16), user_id=user.id, gpt_id=gpt.id)
    session.add(conversation)
    session.flush()
    return conversation


def owned(session: Session, user: User, conversation_id: str, *, for_update: bool = False) -> Conversation:
    """The user's conversation; someone else's is 404 like a missing one, so ids reveal nothing.

    `for_update` locks it first with a no-op UPDATE: on PostgreSQL that serializes changes to
    one conversation (two sends cannot both see "no reply running"); on SQLite it makes the
    transaction a writer from its first statement, so it waits for the lock instead of
    failing with "database is locked" when it upgrades from reading.
    """
    if for_update:
        session.execute(update(Conversation).where(Conversation.id == conversation_id).values(id=Conversation.id))
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.user_id != user.id:
        raise NotFound(_("There is no such conversation."))
    return conversation


def recent(session: Session, user: User, *, query: str = "", limit: int = 50) -> list[Conversation]:
    """The user's conversations, newest activity first; `query` matches titles and message text."""
    statement = select(Conversation).where(Conversation.user_id == user.id)
    if query.strip():
        words = query.strip().lower().split()[:6]
        for word in words:
            in_messages = select(Message.conversation_id).where(Message.content.icontains(word, autoescape=True))
            statement = statement.where(Conversation.title.icontains(word, autoescape=True) | Conversation.id.in_(in_messages))
    return list(session.scalars(statement.order_by(Conversation.updated_at.desc(), Conversation.id).limit(limit)))


def rename(session: Session, conversation: Conversation, title: str) -> None:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput(_("Give the conversation a title."), field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(_("Titles can be at most %(max)s characters.", max=MAX_TITLE), field="title")
    conversation.title = title


def delete_conversation(session: Session, conversation: Conversation) -> None:
    session.execute(delete(Message).where(Message.conversation_id == conversation.id))
    session.delete(conversation)


def messages(session: Session, conversation: Conversation, *, upto: int | None = None) -> list[Message]:
    statement = select(Message).where(Message.conversation_id == conversation.id)
    if upto is not None:
        statement = statement.where(Message.id <= upto)
    return list(session.scalars(statement.order_by(Message.id)))


def gpt_of(session: Session, conversation: Conversation) -> tuple[Gpt, GptContent | None]:
    gpt = session.get(Gpt, conversation.gpt_id)
    assert gpt is not None  # conversations reference GPTs by foreign key
    return gpt, gpts.published_content(session, gpt)


def share(session: Session, conversation: Conversation) -> str:
    """Share the conversation as it is now; later messages stay private. Sharing again moves the snapshot."""
    last = session.scalar(select(Message.id).where(Message.conversation_id == conversation.id).order_by(Message.id.desc()).limit(1))
    if last is None:
        raise InvalidInput(_("There is nothing to share yet: send a message first."))
    conversation.share_token = conversation.share_token or secrets.token_urlsafe(18)
    conversation.shared_upto = last
    return conversation.share_token


def unshare(session: Session, conversation: Conversation) -> None:
    conversation.share_token = None
    conversation.shared_upto = None


def shared(session: Session, token: str) -> tuple[Conversation, list[Message]]:
    conversation = session.scalar(select(Conversation).where(Conversation.share_token == token)) if token else None
    if conversation is None:
        raise NotFound(_("This shared conversation does not exist or is no longer shared."))
    return conversation, messages(session, conversation, upto=conversation.shared_upto)


def touch(conversation: Conversation) -> None:
    conversation.updated_at = utcnow()


def has_chatted(session: Session, user: User, gpt_id: str) -> bool:
    """Whether `user` got at least one reply from this GPT (what earns the right to rate it)."""
    answered = (
        select(Message.id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.user_id == user.id, Message.gpt_id == gpt_id, Message.role == "assistant")
        .limit(1)
    )
    return session.scalar(answered) is not None


reviews.read_chatted_with(has_chatted)
