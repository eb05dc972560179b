"""Server-Sent Events for a reply (the chat's and the editor preview's): the engine's events framed, streamed in pure ASGI.

Events: `delta` {"text"} as the reply is written; `queued` {"position"} while it waits in
the local model's line; `tool` {"name", "summary", "ok", "line"} when the GPT used one of
its tools ("line" is what the chat shows: "Used Calculator: 2+2 = 4"); then one `done`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

from starlette.responses import Response

from agora.chat.views import tool_line
from agora.providers.base import Queued, TextDelta
from agora.replies.engine import ClientGone
from agora.replies.model_call import Emit, Event
from agora.tools.runner import ToolUse
from agora.web.request_context import BODY_SEND

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # proxies must not buffer the stream
MEDIA_TYPE = "text/event-stream"
# How the JSON API documents an operation that answers with a stream of events.
STREAMED: dict[int | str, dict] = {200: {"description": "Server-Sent Events", "content": {MEDIA_TYPE: {}}}}


# One encoder for every event: json.dumps(..., ensure_ascii=False) builds a new one per call,
# which was most of the cost of framing a token.
_json = json.JSONEncoder(ensure_ascii=False).encode


def frame(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {_json(data)}\n\n".encode()


def frame_event(event: Event) -> bytes:
    if isinstance(event, TextDelta):  # most events: one token's text, framed without a dict
        return b'event: delta\ndata: {"text": ' + _json(event.text).encode() + b"}\n\n"
    if isinstance(event, ToolUse):
        shown = event.shown()
        return frame("tool", {**shown, "line": tool_line(shown)})
    if isinstance(event, Queued):
        return frame("queued", {"position": event.position})
    raise ValueError(f"the chat has no event for {event!r}")  # calls to a caller's tools: only /v1 has callers' tools


class Streamed(Protocol):
    """A reply an SSE response streams: `run(emit)` returns the `done` event's data; `client_gone()` stops it."""

    async def run(self, emit: Emit) -> dict[str, Any]: ...

    def client_gone(self) -> None: ...


class ReplyResponse(Response):
    """A reply as SSE, in pure ASGI: the engine's task writes each event.

    Starlette's StreamingResponse would put two more generator layers and a task group on
    every token. The client's disconnect is watched for as StreamingResponse does (the
    server's `send` ignores a closed connection rather than failing): it stops the reply,
    which closes the model's stream.
    """

    media_type = MEDIA_TYPE

    def __init__(self, reply: Streamed) -> None:
        self.reply = reply
        self.status_code = 200
        self.background = None
        self.init_headers(HEADERS)

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        # The body's writes skip the layers that only act on the start (see RequestContextMiddleware).
        send_body = scope.get("state", {}).get(BODY_SEND, send)
        closed = False

        async def emit(event: Event) -> None:
            if closed:
                raise ClientGone
            await send_body({"type": "http.response.body", "body": frame_event(event), "more_body": True})

        async def watch() -> None:
            nonlocal closed
            while (await receive())["type"] != "http.disconnect":
                pass
            closed = True
            self.reply.client_gone()

        watcher = asyncio.create_task(watch())
        try:
            done = await self.reply.run(emit)
        finally:
            watcher.cancel()
        if not closed:
            await send_body({"type": "http.response.body", "body": frame("done", done), "more_body": False})
