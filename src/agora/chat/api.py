"""The chat JSON API; the pages' scripts use it too. Session cookie (or, with issue 6, an API key)."""

from __future__ import annotations

from dataclasses import replace

import anyio
from fastapi import APIRouter, Request, Response

from agora.chat import access, service, sse, turns
from agora.chat.deps import Replies, Replying, Stops
from agora.chat.runtime import ReplyRun
from agora.chat.schemas import (
    ConfirmIn,
    ConversationDetail,
    ConversationIn,
    ConversationOut,
    EditIn,
    MentionOut,
    MessageIn,
    MessageOut,
    RenameIn,
    ShareOut,
    ToolCallAskedOut,
)
from agora.inputs import Id, Text
from agora.replies import guardrails
from agora.replies.waiting import Waiting
from agora.web.deps import CurrentUser, Db, public_link
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api", tags=["chat"], route_class=JsonRoute)


def _out(conversation) -> ConversationOut:
    return ConversationOut.model_validate(conversation).model_copy(update={"shared": conversation.share_token is not None})


@router.post("/conversations", status_code=201, response_model=ConversationOut)
def create_conversation(body: ConversationIn, user: CurrentUser, db: Db):
    """Start a conversation with a GPT you may use."""
    with db.session() as session:
        return _out(service.start(session, user=user, gpt_id=body.gpt_id))


@router.get("/conversations", response_model=list[ConversationOut])
def list_conversations(user: CurrentUser, db: Db, q: Text = ""):
    """Your conversations, newest activity first; `q` searches titles and messages."""
    with db.session() as session:
        return [_out(c) for c in service.recent(session, user, query=q)]


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(conversation_id: Text, user: CurrentUser, db: Db):
    with db.session() as session:
        conversation = service.owned(session, user, conversation_id)
        messages = [_message_out(m) for m in service.messages(session, conversation)]
        return ConversationDetail(**_out(conversation).model_dump(), messages=messages)


def _message_out(message) -> MessageOut:
    out = MessageOut.model_validate(message)
    if message.waiting:
        out.confirm = [ToolCallAskedOut(**call) for call in Waiting.from_stored(message.waiting).shown()]
    return out


@router.patch("/conversations/{conversation_id}", response_model=ConversationOut)
def rename_conversation(conversation_id: Text, body: RenameIn, user: CurrentUser, db: Db):
    with db.session() as session:
        conversation = service.owned(session, user, conversation_id, for_update=True)
        service.rename(session, conversation, body.title)
        return _out(conversation)


@router.delete("/conversations/{conversation_id}", status_code=204)
async def delete_conversation(conversation_id: Text, user: CurrentUser, db: Db, stops: Stops) -> Response:
    def delete() -> int | None:
        with db.session() as session:
            conversation = service.owned(session, user, conversation_id, for_update=True)
            running = turns.request_stop(session, conversation)
            service.delete_conversation(session, conversation)
            return running

    running = await anyio.to_thread.run_sync(delete)
    if running is not None:
        stops.stop_here(running)  # no generation may outlive its conversation
    return Response(status_code=204)


async def _reply(begin, db, replying: Replying):
    """Run `begin` (which stores the user's side) off the loop, then stream the reply as SSE."""

    def prepare():
        with db.session() as session:
            return begin(session)

    try:
        pending = await anyio.to_thread.run_sync(prepare)  # refusals raise here, before any streaming
    except guardrails.MessageBlocked as blocked:  # the turn was rolled back: the moderators' copy goes in its own write
        replying.writer.submit(None, along=blocked.record)
        raise
    return sse.ReplyResponse(ReplyRun(provider=replying.asker.provider, board=replying.stops, pending=pending, writer=replying.writer))


@router.post("/conversations/{conversation_id}/messages", response_class=Response, responses=sse.STREAMED)
async def send_message(conversation_id: Text, body: MessageIn, user: CurrentUser, db: Db, replying: Replies):
    """Send a message; the answer streams as `delta` events (and a `tool` event for each tool the GPT uses), then one `done` event.

    The `done` event carries the stored reply's id, status and usage.
    """
    asker = replace(replying.asker, timezone=body.timezone)

    def begin(session):
        conversation = service.owned(session, user, conversation_id, for_update=True)
        return turns.begin_send(session, asker, conversation=conversation, content=body.content, mention=body.mention)

    return await _reply(begin, db, replying)


@router.post("/conversations/{conversation_id}/regenerate", response_class=Response, responses=sse.STREAMED)
async def regenerate(conversation_id: Text, user: CurrentUser, db: Db, replying: Replies):
    """Replace the last reply with a new one, streamed like a message's."""

    def begin(session):
        conversation = service.owned(session, user, conversation_id, for_update=True)
        return turns.begin_regenerate(session, replying.asker, conversation=conversation)

    return await _reply(begin, db, replying)


@router.post("/conversations/{conversation_id}/continue", response_class=Response, responses=sse.STREAMED)
async def continue_reply(conversation_id: Text, user: CurrentUser, db: Db, replying: Replies):
    """Go on with a reply the token limit cut (its `done` said `"cut": true`), streamed; `done`'s html is the whole reply."""

    def begin(session):
        conversation = service.owned(session, user, conversation_id, for_update=True)
        return turns.begin_continue(session, replying.asker, conversation=conversation)

    return await _reply(begin, db, replying)


@router.post("/conversations/{conversation_id}/edit", response_class=Response, responses=sse.STREAMED)
async def edit_last(conversation_id: Text, body: EditIn, user: CurrentUser, db: Db, replying: Replies):
    """Change your last message and get a new reply to it, streamed."""
    asker = replace(replying.asker, timezone=body.timezone)

    def begin(session):
        conversation = service.owned(session, user, conversation_id, for_update=True)
        return turns.begin_edit(session, asker, conversation=conversation, content=body.content)

    return await _reply(begin, db, replying)


@router.post("/conversations/{conversation_id}/messages/{message_id}/confirm", response_class=Response, responses=sse.STREAMED)
async def confirm_calls(conversation_id: Text, message_id: Id, body: ConfirmIn, user: CurrentUser, db: Db, replying: Replies):
    """Allow or deny the consequential tool calls a reply waits for (its `done` said `"status": "waiting"`); the reply carries on,
    streamed like a message's: a `tool` event for each call (run, or declined), then the rest of the reply.

    409 `not_waiting` when the reply no longer waits (already decided, or a newer message was sent). `"always": true` (with
    allow) also allows these operations of this GPT from now on; 422 `always_not_offered` when one of them is consequential.
    """

    def begin(session):
        conversation = service.owned(session, user, conversation_id, for_update=True)
        return turns.begin_confirm(session, replying.asker, conversation=conversation, reply_id=message_id, allow=body.allow,
                                   always=body.always)

    return await _reply(begin, db, replying)


@router.post("/conversations/{conversation_id}/stop")
async def stop(conversation_id: Text, user: CurrentUser, db: Db, stops: Stops) -> dict:
    """Stop the reply being written; its text so far is kept, marked `stopped`."""

    def flag() -> int | None:
        with db.session() as session:
            return turns.request_stop(session, service.owned(session, user, conversation_id, for_update=True))

    running = await anyio.to_thread.run_sync(flag)
    if running is not None:
        stops.stop_here(running)  # at once if this worker streams it; otherwise its poller sees the flag
    return {"stopping": running is not None}


@router.post("/conversations/{conversation_id}/share", response_model=ShareOut)
def share(conversation_id: Text, request: Request, user: CurrentUser, db: Db):
    """Share a read-only snapshot of the conversation as it is now."""
    with db.session() as session:
        token = service.share(session, service.owned(session, user, conversation_id, for_update=True))
    return ShareOut(url=public_link(request, "shared_conversation", token=token))


@router.delete("/conversations/{conversation_id}/share", status_code=204)
def unshare(conversation_id: Text, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        service.unshare(session, service.owned(session, user, conversation_id, for_update=True))
    return Response(status_code=204)


@router.get("/mentions", response_model=list[MentionOut])
def mentions(user: CurrentUser, db: Db, q: Text = ""):
    """GPTs you may @-mention in a conversation."""
    with db.session() as session:
        return [MentionOut(id=g.id, name=g.name) for g in access.mentionable(session, user, q)]
