"""A conversation's reply through the engine (agora.replies), its row stored with its usage.

The engine's task hands each piece to the browser's stream itself (`emit`, chat.sse). A stop
reaches it through the stop board (from this worker at once, from another through the
database); a closed connection through `client_gone()`; either way the reply is stored as
`stopped` with what it had written, and the browser (if still there) gets its `done`.
A reply that waits for the person's word on consequential tool calls ends with `done`
{"status": "waiting", "confirm": [...]}; their decision carries it on (turns.begin_confirm).
`done` waits until the reply is written (in the usage writer's next batch, milliseconds
away), so a reload or the next message always finds it; if the database is away it is
sent anyway after STORE_WAIT_SECONDS, saying the reply is not stored yet.
"""

from __future__ import annotations

from typing import Any

from agora.chat import markdown, turns
from agora.chat.stops import StopBoard
from agora.chat.turns import PendingReply
from agora.knowledge.citations import labelled
from agora.metering.writer import UsageWriter, written
from agora.providers.base import Provider
from agora.replies.engine import Reply
from agora.replies.model_call import Emit, Event

# How long `done` waits for the reply to be written. Written in a batch with the others that
# ended meanwhile, it takes milliseconds; longer means the database is away.
STORE_WAIT_SECONDS = 5.0


async def _nowhere(event: Event) -> None:
    """The page without JavaScript reads the stored reply once it is finished."""


class ReplyRun:
    """One reply being generated: `run()` streams it through `write` and returns the `done` event's data."""

    def __init__(self, *, provider: Provider, board: StopBoard, pending: PendingReply, writer: UsageWriter) -> None:
        self.board, self.pending = board, pending
        self.reply = Reply(provider=provider, prepared=pending.prepared, writer=writer, usage_key=pending.usage_key,
                           message_id=pending.reply_id, keep=lambda outcome: (turns.store_replies, turns.stored(pending, outcome)), urgent=True,
                           resume=pending.resume)

    def client_gone(self) -> None:
        """The client disconnected: stop generating; the partial reply is stored as stopped, saying why."""
        self.reply.stop(client_gone=True)

    async def run(self, emit: Emit = _nowhere) -> dict[str, Any]:
        """Generate and store the reply, handing its events to `emit` (which raises ClientGone once nobody reads)."""
        self.board.register(self.pending.reply_id, self.reply)
        try:
            outcome = await self.reply.run(emit)
        finally:
            self.board.unregister(self.pending.reply_id)
        html = markdown.render(self.pending.prefix + outcome.text)  # while the usage writer writes the reply; a continuation with what it continues
        assert self.reply.stored is not None
        return {
            "id": self.pending.reply_id,
            "status": "waiting" if outcome.waiting is not None else outcome.status,
            # While waiting: the consequential calls the person is asked to allow or deny (agora.replies.waiting).
            "confirm": outcome.waiting.shown() if outcome.waiting is not None else [],
            "error": outcome.reason,
            "usage": {"prompt_tokens": outcome.usage.prompt_tokens, "completion_tokens": outcome.usage.completion_tokens},
            "html": html,
            "cut": outcome.status == "complete" and outcome.finish_reason == "length",  # the token limit ended it: "Continue" may go on
            "title": self.pending.title,
            "citations": [labelled(citation.shown()) for citation in outcome.citations],
            # The guardrails withheld the reply (agora.replies.guardrails): `html` is the notice, shown instead of what streamed.
            "withheld": outcome.refusal,
            # False when the database is away: the reply is kept in memory and written once it is back.
            "stored": await written(self.reply.stored, STORE_WAIT_SECONDS),
        }


async def run_reply(*, provider: Provider, board: StopBoard, pending: PendingReply, writer: UsageWriter) -> dict[str, Any]:
    """Generate and store the reply for a page without JavaScript. Returns the `done` data."""
    return await ReplyRun(provider=provider, board=board, pending=pending, writer=writer).run()
