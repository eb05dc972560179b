"""The runtime loop: stream a prepared reply from the provider, then store how it ended.

One task reads the provider and writes each piece to the client itself: no queue and no
second task between them, since at 50,000 tokens a second every hop per token is CPU the
worker does not have (docs/benchmarks.md). That task is what a stop cancels (from this
worker, or through the database from another); the reply is then stored with its partial
text as `stopped` and the browser still gets its `done` event. When the client disconnects
instead (`client_gone`), the same clean-up runs: generation is cancelled and the partial
reply saved, so nothing keeps generating for nobody.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import Any

from agora.chat import markdown, turns
from agora.chat.stops import StopBoard
from agora.chat.turns import PendingReply
from agora.i18n import gettext as _
from agora.metering.writer import UsageWriter, written
from agora.providers.base import Finished, Provider, ProviderError, Queued, TextDelta, ToolCallDelta, Usage

log = logging.getLogger("agora.chat")

# write(event name, data): sends one event to the client. Raises ClientGone when it cannot.
Write = Callable[[str, dict[str, Any]], Awaitable[None]]


class ClientGone(Exception):
    """The client's connection is closed: nobody reads the reply any more."""


async def _nowhere(name: str, data: dict[str, Any]) -> None:
    """The page without JavaScript reads the stored reply once it is finished."""


class ReplyRun:
    """One reply being generated: `run()` streams it through `write` and returns the `done` event's data."""

    def __init__(self, *, provider: Provider, board: StopBoard, pending: PendingReply, writer: UsageWriter) -> None:
        self.provider, self.board, self.pending, self.writer = provider, board, pending, writer
        self.pieces: list[str] = []
        self.outcome: dict[str, Any] = {"status": "stopped", "error": "", "usage": None}
        self._task: asyncio.Task | None = None
        self._client_gone = False

    def client_gone(self) -> None:
        """The client disconnected: stop generating; the partial reply is stored as stopped, saying why."""
        self._client_gone = True
        if self._task is not None:
            self._task.cancel()

    async def run(self, write: Write = _nowhere) -> dict[str, Any]:
        started = time.monotonic()
        task = self._task = asyncio.create_task(self._produce(write))
        self.board.register(self.pending.reply_id, task)
        if self._client_gone:  # gone before the task existed
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:  # this request itself is cancelled (the server shuts down): still store the reply
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self.outcome = {"status": "stopped", "error": _("The connection closed before the reply finished."), "usage": None}
            await asyncio.shield(self._store(started))
            raise
        finally:
            self.board.unregister(self.pending.reply_id)
        return await self._store(started)

    async def _produce(self, write: Write) -> None:
        """Reads the provider to its end, writing as it goes; whatever ends it, says how in `outcome`."""
        pieces = self.pieces
        try:
            async with aclosing(self.provider.stream(self.pending.request)) as events:  # closed however we leave: stops upstream
                async for event in events:
                    if isinstance(event, TextDelta):
                        pieces.append(event.text)
                        await write("delta", {"text": event.text})
                    elif isinstance(event, Queued):
                        await write("queued", {"position": event.position})
                    elif isinstance(event, ToolCallDelta) and event.name is not None:
                        # The chat gives the model no tools, so it cannot run one a model asks for: say so in the reply.
                        note = ("\n\n" if pieces else "") + _("(The model asked to use the tool “%(name)s”, which this chat cannot run.)", name=event.name)
                        pieces.append(note)
                        await write("delta", {"text": note})
                    elif isinstance(event, Finished):
                        self.outcome = {"status": "complete", "error": "", "usage": event.usage}
        except asyncio.CancelledError:  # a stop, or the client left
            self._stopped()
        except ClientGone:
            self._client_gone = True
            self._stopped()
        except ProviderError as error:
            self.outcome = {"status": "failed", "error": error.message, "usage": None}
        except Exception:  # a provider bug: log it, tell the user something went wrong
            log.exception("provider %s failed", self.provider.name)
            self.outcome = {"status": "failed", "error": _("The model failed unexpectedly. Try again."), "usage": None}
        else:
            if self.outcome["status"] != "complete":  # the stream ended without Finished
                self.outcome = {"status": "failed", "error": _("The model stopped without finishing."), "usage": None}

    def _stopped(self) -> None:
        error = _("The connection closed before the reply finished.") if self._client_gone else ""
        self.outcome = {"status": "stopped", "error": error, "usage": None}

    async def _store(self, started: float) -> dict[str, Any]:
        """Hand the reply and its usage to the usage writer, and wait (a bounded time) until they are written."""
        latency_ms = int((time.monotonic() - started) * 1000)
        text, outcome = "".join(self.pieces), self.outcome
        usage: Usage = outcome["usage"] or Usage(self.pending.prompt_tokens, _tokens_of(self.provider, self.pending, text))
        reply, event = turns.finished(self.pending, text=text, status=outcome["status"], error=outcome["error"], usage=usage, latency_ms=latency_ms)
        stored = self.writer.submit(event, along=(turns.store_replies, reply), urgent=True)
        html = markdown.render(text)  # while the writer writes
        return {
            "id": self.pending.reply_id,
            "status": outcome["status"],
            "error": outcome["error"],
            "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens},
            "html": html,
            # False when the database is away: the reply is kept in memory and written once it is back.
            "stored": await written(stored, STORE_WAIT_SECONDS),
        }


async def run_reply(*, provider: Provider, board: StopBoard, pending: PendingReply, writer: UsageWriter, write: Write = _nowhere) -> dict[str, Any]:
    """Generate and store the reply; `write` gets ("queued", {"position"}) and ("delta", {"text"}) events. Returns the `done` data."""
    return await ReplyRun(provider=provider, board=board, pending=pending, writer=writer).run(write)


# How long `done` waits for the reply to be written. Written in a batch with the others that
# ended meanwhile, it takes milliseconds; longer means the database is away, and the browser
# is told the reply is not stored yet rather than left waiting.
STORE_WAIT_SECONDS = 5.0


def _tokens_of(provider: Provider, pending: PendingReply, text: str) -> int:
    """Tokens of a reply that ended without the provider's count (stopped or failed)."""
    if not text:
        return 0
    model = pending.request.model
    framed = provider.count_tokens([{"role": "assistant", "content": text}], model)
    return max(framed - provider.count_tokens([{"role": "assistant", "content": ""}], model), 0)
