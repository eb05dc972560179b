"""POST /api/gpts/{id}/preview: chat with the saved draft, streamed; nothing stored but its usage."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request, Response

from agora.chat import preview, sse
from agora.chat.deps import ChatProvider, Usage
from agora.db import begin_writing
from agora.inputs import Text
from agora.replies import guardrails
from agora.web.deps import AppSettings, CurrentUser, Db
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api/gpts", tags=["gpts"], route_class=JsonRoute)


@router.post("/{gpt_id}/preview", response_class=Response, responses=sse.STREAMED)
async def preview_draft(gpt_id: Text, body: preview.PreviewIn, request: Request, db: Db, user: CurrentUser, provider: ChatProvider, settings: AppSettings,
                        usage: Usage):
    """Editors try the saved draft: `text/event-stream` of `delta` events (and `tool` events), then one `done`."""
    usage.ensure_room()
    language = request.state.language

    def prepare():
        with db.session() as session:
            # Reads, then counts the message (a write), with retrieval between: on SQLite it starts as the writer, or
            # a reply stored meanwhile by the usage writer would make the count fail ('database is locked').
            begin_writing(session)
            return preview.prepare_preview(session, gpt_id=gpt_id, user=user, body=body, provider=provider, settings=settings, language=language)

    try:
        prepared = await anyio.to_thread.run_sync(prepare)  # refusals raise here, before any streaming
    except guardrails.MessageBlocked as blocked:  # rolled back: the moderators' copy goes in its own write
        usage.submit(None, along=blocked.record)
        raise
    return sse.ReplyResponse(preview.PreviewRun(provider=provider, prepared=prepared, writer=usage))
