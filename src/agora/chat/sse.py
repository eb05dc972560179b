"""Server-Sent Events framing for the runtime's events, and the responses that stream them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import StreamingResponse
from starlette.responses import Response

from agora.chat.runtime import ClientGone, ReplyRun
from agora.web.request_context import BODY_SEND

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # proxies must not buffer the stream
MEDIA_TYPE = "text/event-stream"


# One encoder for every event: json.dumps(..., ensure_ascii=False) builds a new one per call,
# which was most of the cost of framing a token.
_json = json.JSONEncoder(ensure_ascii=False).encode


def frame(event: str, data: dict[str, Any]) -> bytes:
    if event == "delta" and len(data) == 1:  # most events: one token's text, framed without a dict walk
        return b'event: delta\ndata: {"text": ' + _json(data["text"]).encode() + b"}\n\n"
    return f"event: {event}\ndata: {_json(data)}\n\n".encode()


def response(events: AsyncIterator[tuple[str, dict[str, Any]]]) -> StreamingResponse:
    """A stream of events from an async generator (the builder's preview: no reply stored)."""

    async def body() -> AsyncIterator[bytes]:
        try:
            async for name, data in events:
                yield frame(name, data)
        finally:
            await events.aclose()  # type: ignore[attr-defined]  # runs the generator's clean-up on disconnect

    return StreamingResponse(body(), media_type=MEDIA_TYPE, headers=HEADERS)


class ReplyResponse(Response):
    """A conversation's reply as SSE, in pure ASGI: the task reading the provider writes each event.

    Starlette's StreamingResponse would put two more generator layers and a task group on
    every token. The client's disconnect is watched for as StreamingResponse does (the
    server's `send` ignores a closed connection rather than failing): it cancels generation,
    and the reply is stored as stopped.
    """

    media_type = MEDIA_TYPE

    def __init__(self, reply: ReplyRun) -> None:
        self.reply = reply
        self.status_code = 200
        self.background = None
        self.init_headers(HEADERS)

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        # The body's writes skip the layers that only act on the start (see RequestContextMiddleware).
        send_body = scope.get("state", {}).get(BODY_SEND, send)
        closed = False

        async def write(name: str, data: dict[str, Any]) -> None:
            if closed:
                raise ClientGone
            await send_body({"type": "http.response.body", "body": frame(name, data), "more_body": True})

        async def watch() -> None:
            nonlocal closed
            while (await receive())["type"] != "http.disconnect":
                pass
            closed = True
            self.reply.client_gone()

        watcher = asyncio.create_task(watch())
        try:
            done = await self.reply.run(write)
        finally:
            watcher.cancel()
        if not closed:
            await send_body({"type": "http.response.body", "body": frame("done", done), "more_body": False})


def reply_response(reply: ReplyRun) -> ReplyResponse:
    return ReplyResponse(reply)
