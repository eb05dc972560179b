"""One turn of the conversation: store the user's message, prepare the reply, then finish it.

`begin_*` commit the user's message and an empty `streaming` reply before any token is
generated, so a failure later never loses what the user wrote. The finished reply is
written by the usage writer (`store_replies`), in the transaction of its usage record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from agora.accounts import service as accounts
from agora.accounts.models import User
from agora.billing import guard
from agora.chat import access, service
from agora.chat.models import Conversation, Message
from agora.chat.prompt import compose
from agora.config import Settings
from agora.db import utcnow
from agora.errors import Conflict, InvalidInput, NotFound
from agora.gpts import service as gpts
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.providers.base import CompletionRequest, Provider, Usage

# A reply still "streaming" after this long belongs to a worker that died: let the user go on.
ABANDONED_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class PendingReply:
    reply_id: int
    conversation_id: str
    user_id: int
    gpt_id: str
    gpt_version: int | None
    request: CompletionRequest
    prompt_tokens: int
    # The plan in force when the message was sent, and the workspace usage is metered against.
    plan_code: str
    workspace_id: int | None
    builder_id: int


def check_content(content: str, settings: Settings) -> str:
    if not content.strip():
        raise InvalidInput(_("Write a message first."), field="content")
    if len(content) > settings.chat_max_message_chars:
        raise InvalidInput(
            _("Messages can be at most %(max)s characters; this one has %(count)s.", max=settings.chat_max_message_chars, count=len(content)),
            field="content",
        )
    return content.strip()


def begin_send(session: Session, *, user: User, conversation: Conversation, content: str, mention: str | None, provider: Provider, settings: Settings, language: str) -> PendingReply:
    content = check_content(content, settings)
    rows = service.messages(session, conversation)  # one read for both: is a reply running, and the history
    _no_reply_running(session, conversation, rows)
    gpt = access.find_usable(session, mention, user, field="mention") if mention else _own_gpt(session, conversation, user)
    history = _history(session, conversation, rows=rows) + [{"role": "user", "content": content}]
    pending_args = _prepare(session, user=user, gpt=gpt, history=history, provider=provider, settings=settings, language=language)
    session.add(Message(conversation_id=conversation.id, role="user", content=content))
    if not conversation.title:
        conversation.title = " ".join(content.split())[: service.TITLE_FROM_MESSAGE]
    return _add_reply(session, conversation, user, gpt, **pending_args)


def begin_regenerate(session: Session, *, user: User, conversation: Conversation, provider: Provider, settings: Settings, language: str) -> PendingReply:
    """Replace the last reply (complete, stopped or failed) with a new one from the same GPT."""
    _no_reply_running(session, conversation)
    last = _last(session, conversation)
    if last is None or last.role != "assistant":
        raise Conflict(_("There is no reply to regenerate."))
    gpt = access.find_usable(session, last.gpt_id or conversation.gpt_id, user)
    session.delete(last)
    session.flush()
    pending_args = _prepare(session, user=user, gpt=gpt, history=_history(session, conversation), provider=provider, settings=settings, language=language)
    return _add_reply(session, conversation, user, gpt, **pending_args)


def begin_edit(session: Session, *, user: User, conversation: Conversation, content: str, provider: Provider, settings: Settings, language: str) -> PendingReply:
    """Change the last user message and answer it again; the old reply is replaced."""
    content = check_content(content, settings)
    _no_reply_running(session, conversation)
    last_user = session.scalar(
        select(Message).where(Message.conversation_id == conversation.id, Message.role == "user").order_by(Message.id.desc()).limit(1)
    )
    if last_user is None:
        raise Conflict(_("There is no message to edit."))
    following = session.scalar(select(Message).where(Message.conversation_id == conversation.id, Message.id > last_user.id).limit(1))
    gpt = access.find_usable(session, (following.gpt_id if following else None) or conversation.gpt_id, user)
    history = _history(session, conversation, before=last_user.id) + [{"role": "user", "content": content}]
    pending_args = _prepare(session, user=user, gpt=gpt, history=history, provider=provider, settings=settings, language=language)
    session.execute(delete(Message).where(Message.conversation_id == conversation.id, Message.id > last_user.id))
    last_user.content = content
    return _add_reply(session, conversation, user, gpt, **pending_args)


def finished(pending: PendingReply, *, text: str, status: str, error: str, usage: Usage, latency_ms: int) -> tuple[dict, dict]:
    """The finished reply as `store_replies` writes it, and its usage event."""
    at = utcnow()
    # Keys unlike any column's name: an UPDATE would otherwise also SET the columns they match.
    # PostgreSQL refuses NUL characters in text, and a model may write one.
    reply = {"reply": pending.reply_id, "conversation": pending.conversation_id, "text": text.replace("\x00", ""), "outcome": status,
             "reason": error.replace("\x00", "")[:500], "prompt": usage.prompt_tokens, "completion": usage.completion_tokens,
             "latency": latency_ms, "at": at}
    event = {
        "idempotency_key": f"web:message:{pending.reply_id}", "user_id": pending.user_id, "workspace_id": pending.workspace_id,
        "plan_code": pending.plan_code, "gpt_id": pending.gpt_id, "gpt_version": pending.gpt_version, "builder_id": pending.builder_id,
        "model": pending.request.model, "source": "web", "conversation_id": pending.conversation_id, "message_id": pending.reply_id,
        "status": status, "prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens, "latency_ms": latency_ms,
        "created_at": at,
    }
    return reply, event


_messages, _conversations = Message.__table__, Conversation.__table__
_STORE_REPLY = _messages.update().where(_messages.c.id == bindparam("reply")).values(
    content=bindparam("text"), status=bindparam("outcome"), error=bindparam("reason"), prompt_tokens=bindparam("prompt"),
    completion_tokens=bindparam("completion"), latency_ms=bindparam("latency"))
_TOUCH = _conversations.update().where(_conversations.c.id == bindparam("conversation")).values(updated_at=bindparam("at"))


def store_replies(session: Session, replies: list[dict]) -> None:
    """Write finished replies (`finished`'s first half) in two statements, whatever their number: the usage writer's `along`.

    Idempotent, as the writer needs: written twice, a reply is the same. A reply whose
    conversation was deleted meanwhile matches nothing; its usage is still recorded.
    """
    connection = session.connection()
    connection.execute(_STORE_REPLY, replies)
    connection.execute(_TOUCH, replies)


def request_stop(session: Session, conversation: Conversation) -> int | None:
    """Flag the reply being written, if any; the worker streaming it stops at its next check."""
    reply = _running(session, conversation)
    if reply is None:
        return None
    reply.stop_requested = True
    return reply.id


def stop_requested(session: Session, reply_ids: list[int]) -> list[int]:
    return list(session.scalars(select(Message.id).where(Message.id.in_(reply_ids), Message.stop_requested.is_(True))))


def choose_model(provider: Provider, settings: Settings, wanted: str | None) -> str:
    offered = provider.models()
    if wanted and wanted in offered:
        return wanted
    return settings.chat_model or offered[0]


def _prepare(session: Session, *, user: User, gpt: Gpt, history: list[dict[str, str]], provider: Provider, settings: Settings, language: str) -> dict:
    content = gpts.published_content(session, gpt)
    if content is None:
        raise NotFound(_("This GPT is not published."))
    model = choose_model(provider, settings, content.model)
    prompt = compose(
        provider=provider, model=model, content=content, language=language, history=history,
        reply_tokens=settings.chat_max_reply_tokens, today=utcnow().date(),
    )
    request = CompletionRequest(
        messages=prompt.messages, model=model, temperature=content.temperature, top_p=content.top_p, max_tokens=settings.chat_max_reply_tokens
    )
    in_force = guard.before_reply(session, user=user, gpt=gpt, settings=settings)  # entitlement, then quota: refusals store nothing
    return {"request": request, "prompt_tokens": prompt.prompt_tokens, "omitted": prompt.omitted, "in_force": in_force,
            "workspace_id": in_force.workspace_id if in_force.workspace_id is not None else accounts.personal_workspace_id(session, user)}


def _add_reply(session: Session, conversation: Conversation, user: User, gpt: Gpt, *, request: CompletionRequest, prompt_tokens: int, omitted: int, in_force,
               workspace_id: int | None) -> PendingReply:
    reply = Message(
        conversation_id=conversation.id, role="assistant", status="streaming", gpt_id=gpt.id, gpt_version=gpt.published_version,
        model=request.model, prompt_tokens=prompt_tokens, omitted_messages=omitted,
    )
    session.add(reply)
    service.touch(conversation)
    session.flush()
    return PendingReply(reply.id, conversation.id, user.id, gpt.id, gpt.published_version, request, prompt_tokens, in_force.plan.code, workspace_id,
                        gpt.owner_id)


def _own_gpt(session: Session, conversation: Conversation, user: User) -> Gpt:
    return access.find_usable(session, conversation.gpt_id, user)


def _history(session: Session, conversation: Conversation, *, before: int | None = None, rows: list[Message] | None = None) -> list[dict[str, str]]:
    """What the model sees of the past (from `rows` when they were read already): failed and empty replies are left out."""
    rows = service.messages(session, conversation) if rows is None else rows
    return [
        {"role": m.role, "content": m.content}
        for m in rows
        if (before is None or m.id < before) and m.content and m.status in ("complete", "stopped")
    ]


def _last(session: Session, conversation: Conversation) -> Message | None:
    return session.scalar(select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id.desc()).limit(1))


def _running(session: Session, conversation: Conversation) -> Message | None:
    return session.scalar(select(Message).where(Message.conversation_id == conversation.id, Message.status == "streaming"))


def _no_reply_running(session: Session, conversation: Conversation, rows: list[Message] | None = None) -> None:
    running = _running(session, conversation) if rows is None else next((m for m in rows if m.status == "streaming"), None)
    if running is None:
        return
    if running.created_at < utcnow() - ABANDONED_AFTER:
        running.status, running.error = "failed", _("The reply was interrupted.")
        return
    raise Conflict(_("A reply is still being written. Stop it or wait for it to finish."), code="reply_in_progress")

