"""A streamed chat completion: the engine's pieces as OpenAI's `chat.completion.chunk` events, in pure ASGI.

The status is sent with the first piece, so a model server that fails before writing
anything gets a real 502/504/429 answer instead of an error inside a 200 stream; one that
fails later gets OpenAI's in-stream error event (the SDKs raise an APIError on it). The
client leaving stops the reply, which closes the model's stream, as everywhere.

Events made in one turn of the event loop go out in one write: the pieces from one read of
the upstream come one after the other without waiting, and sent as an HTTP chunk each they
cost a system call apiece (22 for a reply of 20 pieces).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.responses import Response

from agora.api.openai.errors import upstream_error
from agora.api.openai.replies import Chunks, event
from agora.providers.base import TextDelta, ToolCallDelta
from agora.replies.engine import ClientGone, Reply
from agora.replies.model_call import Event
from agora.replies.outcome import Outcome

HEADERS = {"Cache-Control": "no-cache"}


class CompletionStream(Response):
    media_type = "text/event-stream"

    def __init__(self, reply: Reply, chunks: Chunks, *, include_usage: bool, headers: dict[str, str],
                 ended: Callable[[Outcome], Awaitable[None]]) -> None:
        """`ended` runs once the reply has ended, however it did (the rate limiter's charge)."""
        self.reply, self.chunks, self.include_usage, self.ended = reply, chunks, include_usage, ended
        self.status_code, self.background = 200, None
        self.init_headers({**headers, **HEADERS})

    async def __call__(self, scope, receive, send) -> None:
        pending: list[bytes] = []
        sender: asyncio.Task | None = None
        started = closed = False

        async def send_pending() -> None:
            while pending:
                body = b"".join(pending)
                pending.clear()
                await send({"type": "http.response.body", "body": body, "more_body": True})

        def queue(data: bytes) -> None:
            nonlocal sender
            pending.append(data)
            if sender is None or sender.done():
                if sender is not None and sender.exception() is not None:
                    raise ClientGone  # a send failed: nobody reads any more
                sender = asyncio.get_running_loop().create_task(send_pending())  # runs when this task next waits

        async def start(first: Event | None) -> None:
            nonlocal started
            started = True
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            queue(self.chunks.opening(first if isinstance(first, (TextDelta, ToolCallDelta)) else None))

        async def emit(piece: Event) -> None:
            if closed:
                raise ClientGone
            if not isinstance(piece, (TextDelta, ToolCallDelta)):
                return  # where it waits in line, the GPT's own tools: OpenAI's chunks have no place for them
            if not started:
                await start(piece)
            queue(self.chunks.piece(piece))

        async def watch() -> None:
            nonlocal closed
            while (await receive())["type"] != "http.disconnect":
                pass
            closed = True
            self.reply.stop(client_gone=True)

        watcher = asyncio.create_task(watch())
        try:
            outcome = await self.reply.run(emit)
        finally:
            watcher.cancel()
            if self.reply.outcome is not None:  # however the reply ended, even cancelled with the request
                await asyncio.shield(self.ended(self.reply.outcome))
        if not started and outcome.failure is not None and not closed:
            await upstream_error(outcome.failure).response()(scope, receive, send)
            return
        if closed:
            return
        if not started:
            await start(None)
        if outcome.failure is not None:
            queue(event(upstream_error(outcome.failure).body()))
        else:
            queue(self.chunks.ending(outcome))
            if self.include_usage:
                queue(self.chunks.usage(outcome))
        queue(b"data: [DONE]\n\n")
        if sender is not None:
            await sender
        await send_pending()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
