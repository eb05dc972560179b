"""One turn of the conversation: store the user's message, prepare the reply (agora.replies), store the reply once it ends.

`begin_*` commit the user's message and an empty `streaming` reply, owned by this worker
(chat.owners), before any token is generated, so a failure later never loses what the user
wrote. The finished reply is written by the usage writer (`store_replies`), in the
transaction of its usage record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.chat import owners, service
from agora.chat.models import Conversation, Message
from agora.config import Settings
from agora.db import utcnow
from agora.errors import Conflict, InvalidInput
from agora.i18n import gettext as _
from agora.providers.base import Provider
from agora.replies.outcome import Outcome
from agora.replies.prepare import Prepared, prepare
from agora.replies.request import ReplyRequest, checked_message
from agora.replies.waiting import Resume, Waiting
from agora.tools import allowances


@dataclass(frozen=True)
class Asker:
    """Who sends a message, and what their reply is prepared with."""

    user: User
    provider: Provider
    settings: Settings
    language: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class PendingReply:
    reply_id: int
    conversation_id: str
    prepared: Prepared
    resume: Resume | None = None  # a reply that waited, carried on with the person's decision
    earlier_tools: tuple[dict[str, Any], ...] = ()  # the tools it used before it waited, as stored
    title: str = ""  # the conversation's, once the first message named it: the sidebar shows it without a reload
    prefix: str = ""  # a continuation's: the text of the reply it continues, shown with it as one reply

    @property
    def usage_key(self) -> str:
        # A resumed reply is one more usage event of the same message: each resume follows at least one more tool use.
        return f"web:message:{self.reply_id}" + (f":after:{len(self.earlier_tools)}" if self.resume is not None else "")


def begin_send(session: Session, asker: Asker, *, conversation: Conversation, content: str, mention: str | None) -> PendingReply:
    content = checked_message(content, asker.settings)
    rows = service.messages(session, conversation)  # one read for both: is a reply running, and the history
    _no_reply_running(session, conversation, rows)
    _settle_waiting(rows)
    history = [*_history(rows), {"role": "user", "content": content}]
    prepared = _prepare(session, asker, conversation, history, mention or conversation.gpt_id, "mention" if mention else "gpt_id", screen=True)
    session.add(Message(conversation_id=conversation.id, role="user", content=content))
    if not conversation.title:
        conversation.title = " ".join(content.split())[: service.TITLE_FROM_MESSAGE]
    return _add_reply(session, conversation, prepared)


def begin_regenerate(session: Session, asker: Asker, *, conversation: Conversation) -> PendingReply:
    """Replace the last reply (complete, stopped or failed, with its continuations) with a new one from the same GPT."""
    rows = service.messages(session, conversation)
    _no_reply_running(session, conversation, rows)
    chain = _last_reply(rows)
    if not chain:
        raise Conflict(_("There is no reply to regenerate."))
    for message in chain:
        session.delete(message)
    session.flush()
    prepared = _prepare(session, asker, conversation, _history(rows[: -len(chain)]), chain[0].gpt_id or conversation.gpt_id, "gpt_id")
    return _add_reply(session, conversation, prepared)


def begin_continue(session: Session, asker: Asker, *, conversation: Conversation) -> PendingReply:
    """Go on with a reply the token limit cut: a new reply row (its own usage), shown joined to the one it continues."""
    rows = service.messages(session, conversation)
    _no_reply_running(session, conversation, rows)
    chain = _last_reply(rows)
    if not chain or chain[-1].status != "complete" or chain[-1].finish_reason != "length":
        raise Conflict(_("Only a reply cut short by the length limit can be continued."), code="nothing_to_continue")
    # The model is asked in words: an OpenAI-compatible server closes a trailing assistant
    # message and starts a new turn, so sending the cut text last would not continue it.
    history = [*_history(rows), {"role": "user", "content": _("Continue your last reply exactly where it stopped, without repeating any of it.")}]
    prepared = _prepare(session, asker, conversation, history, chain[0].gpt_id or conversation.gpt_id, "gpt_id")
    return _add_reply(session, conversation, prepared, prefix="".join(message.content for message in chain))


def begin_edit(session: Session, asker: Asker, *, conversation: Conversation, content: str) -> PendingReply:
    """Change the last user message and answer it again; the old reply is replaced."""
    content = checked_message(content, asker.settings)
    rows = service.messages(session, conversation)
    _no_reply_running(session, conversation, rows)
    last_user = next((m for m in reversed(rows) if m.role == "user"), None)
    if last_user is None:
        raise Conflict(_("There is no message to edit."))
    following = next((m for m in rows if m.id > last_user.id), None)
    history = [*_history([m for m in rows if m.id < last_user.id]), {"role": "user", "content": content}]
    prepared = _prepare(session, asker, conversation, history, (following.gpt_id if following else None) or conversation.gpt_id, "gpt_id",
                        screen=True)
    session.execute(delete(Message).where(Message.conversation_id == conversation.id, Message.id > last_user.id))
    last_user.content = content
    return _add_reply(session, conversation, prepared)


def begin_confirm(session: Session, asker: Asker, *, conversation: Conversation, reply_id: int, allow: bool,
                  always: bool = False) -> PendingReply:
    """The person allowed (or denied) the consequential calls the reply `reply_id` waits for: carry it on.

    Only the conversation's last reply can wait; a second decision (a double click, another
    tab) finds it no longer waiting and is refused, so a call never runs twice. The message
    was counted against the quota when it was sent: carrying its reply on is not another.
    `always`: remember the calls as always allowed (agora.tools.allowances); refused (422,
    nothing changed) when one of them is consequential.
    """
    rows = service.messages(session, conversation)
    _no_reply_running(session, conversation, rows)
    reply = rows[-1] if rows else None
    if reply is None or reply.id != reply_id or reply.status != "waiting" or not reply.waiting:
        raise Conflict(_("This reply is not waiting for a decision any more."), code="not_waiting")
    waiting = Waiting.from_stored(reply.waiting)
    if always and not allow:
        raise InvalidInput(_("“Always allow” allows: send it with allow true, or deny without it."), field="always")
    if always and not waiting.can_always_allow():  # a consequential call asks every time, whatever a client sends
        raise InvalidInput(_("This call changes something outside Agora: it is allowed one call at a time, never always."),
                           field="always", code="always_not_offered")
    history = _history(rows[:-1])
    # Neither counted nor charged again: the message was, when it was sent (a waiting reply is a complete one).
    gpt_id = reply.gpt_id or conversation.gpt_id
    prepared = _prepare(session, asker, conversation, history, gpt_id, "gpt_id", count_message=False, priced=False)
    if always:  # remembered with the decision, in its transaction: both happen, or neither
        allowances.allow_always(session, user_id=asker.user.id, gpt_id=gpt_id, calls=waiting.calls)
        if prepared.allowed_always is not None:  # and the rest of this reply already knows it
            keys = {(call["name"], str(call.get("server") or "")) for call in waiting.calls}
            prepared = replace(prepared, allowed_always=prepared.allowed_always | keys)
    reply.status, reply.waiting, reply.error = "streaming", None, ""
    reply.owner, reply.lease_until, reply.stop_requested = owners.me(), owners.lease_until(), False
    service.touch(conversation)
    session.flush()
    return PendingReply(reply.id, conversation.id, prepared, Resume(waiting, allow, reply.content), tuple(reply.tool_uses or ()))


def stored(pending: PendingReply, outcome: Outcome) -> dict[str, Any]:
    """The finished reply as `store_replies` writes it."""
    # Keys unlike any column's name: an UPDATE would otherwise also SET the columns they match.
    # PostgreSQL refuses NUL characters in text, and a model may write one.
    tools = [*pending.earlier_tools, *(use.shown() for use in outcome.tool_uses)]
    return {"reply": pending.reply_id, "conversation": pending.conversation_id, "text": outcome.text.replace("\x00", ""),
            "outcome": "waiting" if outcome.waiting is not None else outcome.status,
            # The model's finish reason when complete; "content_filter" for a reply the instruction-leak filter stopped.
            "finish": outcome.finish_reason if outcome.waiting is None else None,
            "reason": outcome.reason.replace("\x00", "")[:500],
            "prompt": outcome.usage.prompt_tokens, "completion": outcome.usage.completion_tokens, "latency": outcome.latency_ms,
            "tools": json.dumps(tools) if tools else None,
            "cites": json.dumps([citation.shown() for citation in outcome.citations]) if outcome.citations else None,
            "wait": json.dumps(outcome.waiting.stored()) if outcome.waiting is not None else None}


_STORE_COLUMNS = ("reply", "text", "outcome", "finish", "reason", "prompt", "completion", "latency", "tools", "cites", "wait")
# SQLite: one statement run for each reply (executemany, a loop in C).
_STORE_REPLY = text("""
    UPDATE messages SET content = :text, status = :outcome, finish_reason = :finish, error = :reason, prompt_tokens = :prompt,
           completion_tokens = :completion, latency_ms = :latency, tool_uses = :tools, citations = :cites, waiting = :wait, owner = NULL,
           lease_until = NULL
    WHERE id = :reply""")
# PostgreSQL: one statement for them all; a thousand statements cost a round trip and a plan each.
_STORE_REPLIES = text("""
    UPDATE messages AS m SET content = v.text, status = v.outcome, finish_reason = v.finish, error = v.reason, prompt_tokens = v.prompt,
           completion_tokens = v.completion, latency_ms = v.latency, tool_uses = CAST(v.tools AS json), citations = CAST(v.cites AS json),
           waiting = CAST(v.wait AS json), owner = NULL, lease_until = NULL
    FROM unnest(CAST(:reply AS int[]), CAST(:text AS text[]), CAST(:outcome AS text[]), CAST(:finish AS text[]), CAST(:reason AS text[]),
                CAST(:prompt AS int[]), CAST(:completion AS int[]), CAST(:latency AS int[]), CAST(:tools AS text[]), CAST(:cites AS text[]),
                CAST(:wait AS text[]))
         AS v (id, text, outcome, finish, reason, prompt, completion, latency, tools, cites, wait)
    WHERE m.id = v.id""")


def store_replies(session: Session, replies: list[dict[str, Any]]) -> None:
    """Write finished replies (`stored`) and touch their conversations, in two statements: the usage writer's `along` for the chat.

    Idempotent, as the writer needs: written twice, a reply is the same. A reply whose
    conversation was deleted meanwhile matches nothing; its usage is still recorded. The
    conversations first: deleting one locks it, then its messages, in that order too.
    """
    conversations = sorted({reply["conversation"] for reply in replies})
    session.execute(update(Conversation).where(Conversation.id.in_(conversations)).values(updated_at=utcnow()))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_STORE_REPLIES, {column: [reply[column] for reply in replies] for column in _STORE_COLUMNS})
    else:
        session.connection().execute(_STORE_REPLY, replies)


def request_stop(session: Session, conversation: Conversation) -> int | None:
    """Stop the reply being written, if any: flagged for the worker streaming it, or failed at once if that worker is gone."""
    reply = _running(session, conversation)
    if reply is None:
        return None
    if owners.orphaned(reply):
        _interrupted(reply)
    else:
        reply.stop_requested = True
    return reply.id


def stop_requested(session: Session, reply_ids: list[int]) -> list[int]:
    return list(session.scalars(select(Message.id).where(Message.id.in_(reply_ids), Message.stop_requested.is_(True))))


def _prepare(session: Session, asker: Asker, conversation: Conversation, history: list[dict[str, Any]], gpt_id: str, field: str, *,
             count_message: bool = True, priced: bool = True, screen: bool = False) -> Prepared:
    """`screen`: the last message is the person's new one (sent or edited), for the guardrails (agora.replies.guardrails)."""
    request = ReplyRequest(user=asker.user, source="web", messages=history, gpt_id=gpt_id, gpt_field=field, language=asker.language,
                           timezone=asker.timezone, conversation_id=conversation.id, count_message=count_message, priced=priced,
                           screen=screen)
    return prepare(session, request, provider=asker.provider, settings=asker.settings)


def _add_reply(session: Session, conversation: Conversation, prepared: Prepared, *, prefix: str = "") -> PendingReply:
    reply = Message(
        conversation_id=conversation.id, role="assistant", status="streaming", gpt_id=prepared.metering.gpt_id,
        gpt_version=prepared.metering.gpt_version, model=prepared.request.model, prompt_tokens=prepared.prompt_tokens,
        omitted_messages=prepared.omitted, owner=owners.me(), lease_until=owners.lease_until(),
    )
    session.add(reply)
    service.touch(conversation)
    session.flush()
    return PendingReply(reply.id, conversation.id, prepared, title=conversation.title, prefix=prefix)


def _history(rows: list[Message]) -> list[dict[str, Any]]:
    """What the model sees of the past: failed and empty replies are left out; a reply and its continuations are one message."""
    history: list[dict[str, Any]] = []
    for m in rows:
        if not m.content or m.status not in ("complete", "stopped"):
            continue
        if m.role == "assistant" and history and history[-1]["role"] == "assistant":
            history[-1]["content"] += m.content  # only a continuation follows a reply directly
        else:
            history.append({"role": m.role, "content": m.content})
    return history


def _last_reply(rows: list[Message]) -> list[Message]:
    """The trailing replies after the last message of the person: a reply and its continuations (empty when none)."""
    chain: list[Message] = []
    for m in reversed(rows):
        if m.role != "assistant":
            break
        chain.insert(0, m)
    return chain


def _settle_waiting(rows: list[Message]) -> None:
    """A new message instead of a decision: the waiting reply ends as it is, its calls not made (the model saw none of them)."""
    for row in rows:
        if row.status == "waiting":
            row.status, row.waiting = "complete", None


def _running(session: Session, conversation: Conversation) -> Message | None:
    return session.scalar(select(Message).where(Message.conversation_id == conversation.id, Message.status == "streaming"))


def _no_reply_running(session: Session, conversation: Conversation, rows: list[Message]) -> None:
    running = next((m for m in rows if m.status == "streaming"), None)
    if running is None:
        return
    if owners.orphaned(running):
        _interrupted(running)
        return
    raise Conflict(_("A reply is still being written. Stop it or wait for it to finish."), code="reply_in_progress")


def _interrupted(reply: Message) -> None:
    reply.status, reply.error = "failed", _("The reply was interrupted: the server writing it stopped.")
    reply.owner = reply.lease_until = None
