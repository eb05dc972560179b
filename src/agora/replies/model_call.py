"""One call to the model: streamed piece by piece to the reply's outputs, or asked for whole.

A `Turn` collects what the call wrote as it comes, so a call cut short (a stop, a failure)
still says what it had written. Tool calls are told apart as they start: a call to one of
the GPT's own tools is the engine's to run and never reaches the caller; a call to one of
the caller's tools is passed on, numbered among the caller's calls only.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Any, cast

from agora.providers.base import Completion, CompletionRequest, Finished, Provider, Queued, TextDelta, ToolCallDelta
from agora.providers.base import Event as ModelEvent
from agora.replies.leaks import Watch
from agora.tools.runner import ToolUse

# What a reply tells its output as it goes: text, where it waits in the local model's line,
# pieces of calls to the caller's tools, and the GPT's tools it used.
Event = TextDelta | Queued | ToolCallDelta | ToolUse
Emit = Callable[[Event], Awaitable[None]]


@dataclass
class Turn:
    request: CompletionRequest
    pieces: list[str] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)  # OpenAI's message shape, in the order the model made them
    finished: Finished | None = None

    @property
    def text(self) -> str:
        return "".join(self.pieces)


class CallRouter:
    """Which of a turn's streamed tool calls go to the caller, and under which index."""

    def __init__(self, own: dict[str, Any], caller: frozenset[str]) -> None:
        self.own, self.caller = own, caller
        self._forwarded: dict[int, int] = {}  # the provider's index -> the caller's
        self._held: set[int] = set()

    def forward(self, piece: ToolCallDelta) -> ToolCallDelta | None:
        if piece.name is not None:  # a call starts
            if piece.name in self.own or not self.caller:  # the engine's to run, or nobody's
                self._held.add(piece.index)
                return None
            self._forwarded[piece.index] = len(self._forwarded)
        if piece.index in self._held or piece.index not in self._forwarded:
            return None
        index = self._forwarded[piece.index]
        return piece if index == piece.index else replace(piece, index=index)


async def stream(provider: Provider, turn: Turn, emit: Emit, router: CallRouter, *, prefix: str = "", leaks: Watch | None = None) -> None:
    """Read the model's stream into `turn`, passing pieces to `emit`; `prefix` goes before its first text (between two calls' texts).

    Closing the stream however this ends (a stop cancels it) stops the generation upstream.
    `leaks`: the instruction-leak filter's watch (agora.replies.leaks), when the GPT has it on.
    """
    pieces: list[str] = turn.pieces
    calls: dict[int, dict[str, Any]] = {}
    source = provider.stream(turn.request) if leaks is None else leaks.filtered(provider.stream(turn.request))
    # Providers' streams are async generators (agora.providers.base): closing one stops the generation.
    async with aclosing(cast(AsyncGenerator[ModelEvent, None], source)) as events:
        async for event in events:
            if isinstance(event, TextDelta):  # most events: one test
                if prefix:
                    event, prefix = TextDelta(prefix + event.text), ""
                pieces.append(event.text)
                await emit(event)
            elif isinstance(event, ToolCallDelta):
                _add_piece(calls, turn, event)
                forwarded = router.forward(event)
                if forwarded is not None:
                    await emit(forwarded)
            elif isinstance(event, Queued):
                await emit(event)
            elif isinstance(event, Finished):
                turn.finished = event


def _add_piece(calls: dict[int, dict[str, Any]], turn: Turn, piece: ToolCallDelta) -> None:
    call = calls.get(piece.index)
    if call is None:
        call = calls[piece.index] = {"id": piece.id or "", "type": "function", "function": {"name": piece.name or "", "arguments": ""}}
        turn.calls.append(call)
    call["function"]["arguments"] += piece.arguments


async def whole(complete: Callable[[CompletionRequest], Awaitable[Completion]], turn: Turn, *, prefix: str = "",
                leaks: Watch | None = None) -> None:
    """Ask for the whole reply at once (one JSON body: a gateway's `stream: false`); cut where it leaks the instructions."""
    done = await complete(turn.request)
    text = done.text if leaks is None else leaks.whole(done.text)
    if text:
        turn.pieces.append(prefix + text)
    if leaks is not None and leaks.leaked:
        return  # ends as a stopped reply does: not finished
    turn.calls.extend(done.tool_calls)
    turn.finished = Finished(done.usage, done.finish_reason)
