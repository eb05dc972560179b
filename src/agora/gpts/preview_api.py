"""POST /api/gpts/{id}/preview: chat with the saved draft, streamed, nothing stored."""

from __future__ import annotations

from fastapi import APIRouter, Request

from agora.chat import sse
from agora.chat.deps import ChatProvider
from agora.gpts import preview
from agora.web.deps import AppSettings, CurrentUser, Db
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api/gpts", tags=["gpts"], route_class=JsonRoute)


@router.post("/{gpt_id}/preview")
def preview_draft(gpt_id: str, body: preview.PreviewIn, request: Request, db: Db, user: CurrentUser, provider: ChatProvider, settings: AppSettings):
    """Editors try the saved draft: `text/event-stream` of `delta` events, then one `done`."""
    with db.session() as session:
        completion = preview.prepare(
            session, gpt_id=gpt_id, user=user, body=body, provider=provider, settings=settings, language=request.state.language
        )
    return sse.response(preview.run(provider, completion))
