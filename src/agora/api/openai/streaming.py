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
from functools import partial

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
        wire = _Wire(send)
        watcher = asyncio.create_task(self._watch(receive, wire))
        try:
            outcome = await self.reply.run(partial(self._emit, wire))
        finally:
            watcher.cancel()
            if self.reply.outcome is not None:  # however the reply ended, even cancelled with the request
                await asyncio.shield(self.ended(self.reply.outcome))
        if wire.closed:
            return
        if not wire.started and outcome.failure is not None:
            await upstream_error(outcome.failure).response()(scope, receive, send)
            return
        await self._finish(wire, outcome)

    async def _emit(self, wire: _Wire, piece: Event) -> None:
        if wire.closed:
            raise ClientGone
        if not isinstance(piece, (TextDelta, ToolCallDelta)):
            return  # where it waits in line, the GPT's own tools: OpenAI's chunks have no place for them
        if not wire.started:
            await self._start(wire, piece)
        wire.queue(self.chunks.piece(piece))

    async def _start(self, wire: _Wire, first: Event | None) -> None:
        wire.started = True
        await wire.send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        wire.queue(self.chunks.opening(first if isinstance(first, (TextDelta, ToolCallDelta)) else None))

    async def _watch(self, receive, wire: _Wire) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        wire.closed = True
        self.reply.stop(client_gone=True)

    async def _finish(self, wire: _Wire, outcome: Outcome) -> None:
        if not wire.started:
            await self._start(wire, None)
        if outcome.failure is not None:
            wire.queue(event(upstream_error(outcome.failure).body()))
        else:
            wire.queue(self.chunks.ending(outcome))
            if self.include_usage:
                wire.queue(self.chunks.usage(outcome))
        wire.queue(b"data: [DONE]\n\n")
        await wire.end()


class _Wire:
    """One response's way out: the events queued in one turn of the event loop leave in one write."""

    def __init__(self, send) -> None:
        self.send = send
        self.pending: list[bytes] = []
        self.sender: asyncio.Task | None = None
        self.started = False  # the status line went out
        self.closed = False  # the client left

    def queue(self, data: bytes) -> None:
        self.pending.append(data)
        sender = self.sender
        if sender is None or sender.done():
            if sender is not None and sender.exception() is not None:
                raise ClientGone  # a send failed: nobody reads any more
            self.sender = asyncio.get_running_loop().create_task(self._send_pending())  # runs when this task next waits

    async def _send_pending(self) -> None:
        while self.pending:
            body = b"".join(self.pending)
            self.pending.clear()
            await self.send({"type": "http.response.body", "body": body, "more_body": True})

    async def end(self) -> None:
        if self.sender is not None:
            await self.sender
        await self._send_pending()
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})
