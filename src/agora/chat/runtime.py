"""The runtime loop: stream a prepared reply from the provider, then store how it ended.

The provider runs in its own task so that a stop (from this worker or, through the
database, from another) can cancel it without tearing down the response: the browser
still gets its `done` event with the partial text kept as `stopped`. When the client
disconnects instead, the same clean-up runs: generation is cancelled and the partial
reply saved, so nothing keeps generating for nobody.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import anyio

from agora.chat import markdown, turns
from agora.chat.stops import StopBoard
from agora.chat.turns import PendingReply
from agora.db import Database
from agora.i18n import gettext as _
from agora.providers.base import Finished, Provider, ProviderError, Queued, TextDelta, ToolCallDelta, Usage

log = logging.getLogger("agora.chat")
_ENDED, _CANCELLED = object(), object()


async def run_reply(*, database: Database, provider: Provider, board: StopBoard, pending: PendingReply) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Yields ("queued", {"position"}), ("delta", {"text"}) ..., then one ("done", {...})."""
    events: asyncio.Queue = asyncio.Queue()

    async def produce() -> None:
        try:
            async for event in provider.stream(pending.request):
                events.put_nowait(event)
        except ProviderError as error:
            events.put_nowait(error)
        except Exception:  # a provider bug: log it, tell the user something went wrong
            log.exception("provider %s failed", provider.name)
            events.put_nowait(ProviderError(_("The model failed unexpectedly. Try again.")))

    started = time.monotonic()
    task = asyncio.create_task(produce())
    task.add_done_callback(lambda t: events.put_nowait(_CANCELLED if t.cancelled() else _ENDED))
    board.register(pending.reply_id, task)
    pieces: list[str] = []
    outcome: dict[str, Any] = {"status": "stopped", "error": _("The connection closed before the reply finished."), "usage": None}
    ready: deque = deque()
    try:
        while True:
            if not ready:
                ready.append(await events.get())
                while not events.empty():
                    ready.append(events.get_nowait())
            item = ready.popleft()
            if isinstance(item, TextDelta):
                # Tokens that arrived while this stream waited for its turn go out as one event, in
                # one write: a worker that fell behind catches up instead of falling further behind.
                text = item.text
                while ready and isinstance(ready[0], TextDelta):
                    text += ready.popleft().text
                pieces.append(text)
                yield "delta", {"text": text}
            elif isinstance(item, Queued):
                yield "queued", {"position": item.position}
            elif isinstance(item, ToolCallDelta) and item.name is not None:
                # The chat gives the model no tools, so it cannot run one a model asks for: say so in the reply.
                note = ("\n\n" if pieces else "") + _("(The model asked to use the tool “%(name)s”, which this chat cannot run.)", name=item.name)
                pieces.append(note)
                yield "delta", {"text": note}
            elif isinstance(item, Finished):
                outcome = {"status": "complete", "error": "", "usage": item.usage}
            elif isinstance(item, ProviderError):
                outcome = {"status": "failed", "error": item.message, "usage": None}
            elif item is _CANCELLED:
                outcome = {"status": "stopped", "error": "", "usage": None}
                break
            elif item is _ENDED:
                break
    finally:
        board.unregister(pending.reply_id)
        task.cancel()
        with anyio.CancelScope(shield=True):  # a disconnect cancels us; saving must still happen
            await asyncio.gather(task, return_exceptions=True)
            latency_ms = int((time.monotonic() - started) * 1000)
            reply = await anyio.to_thread.run_sync(lambda: _save(database, provider, pending, "".join(pieces), outcome, latency_ms),
                                                   limiter=_savers())
    yield "done", reply


# Replies are stored by at most this many threads of a worker at once. More do not store
# faster (SQLite has one writer; each save is Python work holding the GIL), and every extra
# thread takes its share of the GIL from the event loop, whose streams then stall: when
# 1,000 replies ended together, 40 threads saving them made the last streams' tokens late.
SAVING_THREADS = 4
_limiters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _savers() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    if loop not in _limiters:
        _limiters[loop] = anyio.CapacityLimiter(SAVING_THREADS)
    return _limiters[loop]


def _save(database: Database, provider: Provider, pending: PendingReply, text: str, outcome: dict, latency_ms: int) -> dict[str, Any]:
    usage: Usage = outcome["usage"] or Usage(pending.prompt_tokens, _tokens_of(provider, pending, text))
    with database.session() as session:
        turns.finish(
            session, pending, text=text, status=outcome["status"], error=outcome["error"],
            prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens, latency_ms=latency_ms,
        )
    return {
        "id": pending.reply_id,
        "status": outcome["status"],
        "error": outcome["error"],
        "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens},
        "html": markdown.render(text),
    }


def _tokens_of(provider: Provider, pending: PendingReply, text: str) -> int:
    """Tokens of a reply that ended without the provider's count (stopped or failed)."""
    if not text:
        return 0
    model = pending.request.model
    framed = provider.count_tokens([{"role": "assistant", "content": text}], model)
    return max(framed - provider.count_tokens([{"role": "assistant", "content": ""}], model), 0)
