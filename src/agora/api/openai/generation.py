"""One provider generation for /v1, and how it ended: the text, tool calls, finish reason, usage.

The chat runtime's loop stores its reply in a conversation; an API call has none, so this is
the same provider stream without the message row. Whatever way the stream ends (finished,
failed, or the client went away) `outcome()` says what to meter, exactly as the chat does:
the provider's own count when it gave one, else an estimate of the text produced.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from agora.api.openai.errors import OpenAIError
from agora.api.openai.service import Call
from agora.providers.base import Completion, Finished, Provider, ProviderError, TextDelta, ToolCallDelta, Usage, completer

Piece = TextDelta | ToolCallDelta


@dataclass(frozen=True)
class Outcome:
    status: str  # complete, failed or stopped, as in the chat's usage records
    text: str
    tool_calls: list[dict]  # OpenAI's message shape: {"id", "type": "function", "function": {"name", "arguments"}}
    finish_reason: str | None
    usage: Usage
    latency_ms: int


class Generation:
    def __init__(self, provider: Provider, call: Call) -> None:
        self.provider, self.call = provider, call
        self._events = provider.stream(call.request)
        self._pieces: list[str] = []
        self._calls: dict[int, dict] = {}  # by the provider's index, in the order the calls began
        self._finished: Finished | None = None
        self._failed = False
        self._started = time.monotonic()

    async def next_piece(self) -> Piece | None:
        """The next piece of the reply (text or a tool call's), or None when it is finished. Raises ProviderError."""
        try:
            async for event in self._events:
                if isinstance(event, TextDelta):
                    self._pieces.append(event.text)
                    return event
                if isinstance(event, ToolCallDelta):
                    self._add_to_call(event)
                    return event
                if isinstance(event, Finished):
                    self._finished = event
            return None  # Queued events only say where we wait in the local model's line
        except ProviderError:
            self._failed = True
            raise

    def _add_to_call(self, piece: ToolCallDelta) -> None:
        call = self._calls.get(piece.index)
        if call is None:
            call = self._calls[piece.index] = {"id": piece.id or "", "type": "function", "function": {"name": piece.name or "", "arguments": ""}}
        call["function"]["arguments"] += piece.arguments

    async def aclose(self) -> None:
        """Stop generating (a client that leaves must not keep the model busy)."""
        await self._events.aclose()

    def outcome(self) -> Outcome:
        text = "".join(self._pieces)
        calls = list(self._calls.values())
        latency_ms = int((time.monotonic() - self._started) * 1000)
        if self._finished is not None:
            return Outcome("complete", text, calls, self._finished.finish_reason, self._finished.usage, latency_ms)
        produced = text + "".join(call["function"]["name"] + call["function"]["arguments"] for call in calls)
        usage = Usage(self.call.prompt_tokens, self._tokens_of(produced))
        return Outcome("failed" if self._failed else "stopped", text, calls, None, usage, latency_ms)

    def _tokens_of(self, text: str) -> int:
        if not text:
            return 0
        model = self.call.request.model
        framed = self.provider.count_tokens([{"role": "assistant", "content": text}], model)
        return max(framed - self.provider.count_tokens([{"role": "assistant", "content": ""}], model), 0)


class WholeReply:
    """A reply asked for whole (`stream: false`): one JSON body from a provider that can give one.

    Asking for a stream only to join its chunks again cost the gateway most of its time per
    call; a provider without `complete` is still streamed and joined (`Generation`).
    """

    def __init__(self, provider: Provider, call: Call) -> None:
        self.provider, self.call = provider, call
        self._complete = completer(provider, call.request.model)
        self._generation = Generation(provider, call) if self._complete is None else None
        self._done: Completion | None = None
        self._failed = False
        self._started = time.monotonic()

    async def run(self) -> None:
        """Get the reply. Raises ProviderError."""
        if self._generation is not None:
            try:
                while await self._generation.next_piece() is not None:
                    pass
            finally:
                await self._generation.aclose()
            return
        try:
            self._done = await self._complete(self.call.request)
        except ProviderError:
            self._failed = True
            raise

    def outcome(self) -> Outcome:
        """What to meter, however `run` ended; a failed or cancelled call produced nothing."""
        if self._generation is not None:
            return self._generation.outcome()
        latency_ms = int((time.monotonic() - self._started) * 1000)
        done = self._done
        if done is not None:
            return Outcome("complete", done.text, done.tool_calls, done.finish_reason, done.usage, latency_ms)
        return Outcome("failed" if self._failed else "stopped", "", [], None, Usage(self.call.prompt_tokens, 0), latency_ms)


def upstream_error(error: ProviderError) -> OpenAIError:
    """What /v1 answers when the model server failed: 504 when it did not answer in time, 429 when it
    said too many requests (with its Retry-After, when it gave one), 502 for every other failure."""
    if error.kind == "timeout":
        return OpenAIError(504, f"The model server did not answer in time: {error.message}", code="upstream_timeout")
    if error.kind == "rate_limited":
        headers = {"Retry-After": str(math.ceil(error.retry_after))} if error.retry_after is not None else None
        return OpenAIError(429, f"The model server is busy: {error.message}", code="upstream_rate_limited", headers=headers)
    return OpenAIError(502, f"The model server failed: {error.message}", code="upstream_error")
