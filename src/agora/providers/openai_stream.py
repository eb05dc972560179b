"""Reading an OpenAI-compatible server's streamed reply: its SSE chunks as TextDelta and ToolCallDelta events, and its usage.

`OpenAIProvider.stream` (openai_compat.py) reads the body through the model client
(model_client.py) and hands each read's bytes here.
"""

from __future__ import annotations

import secrets
from typing import Any

import jiter

from agora.i18n import gettext as _
from agora.providers.base import Event, ProviderError, TextDelta, ToolCallDelta, Usage

NOT_CHUNKS = (b"", b"[DONE]")  # `data:` payloads that are no chunk of the reply


class Reply:
    """What the stream said so far: text, tool calls, finish reason and usage."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.text: list[str] = []
        self.calls = ToolCalls()
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self._rest = b""  # the start of a line the next read will finish

    def feed(self, block: bytes) -> tuple[list[Event], ProviderError | Malformed | None]:
        """The events of the Server-Sent Events `block` completes (b"": the body ended), and the failure that ended them.

        Split once per read rather than line by line: blank lines, comments and `event:` lines
        carry nothing we need, and `[DONE]` is skipped.
        """
        if block:
            lines = (self._rest + block).split(b"\n")
            self._rest = lines.pop()
        else:
            lines, self._rest = [self._rest], b""
        payloads = [data for line in lines if line.startswith(b"data:") and (data := line[5:].strip()) not in NOT_CHUNKS]
        return self.read(payloads) if payloads else ([], None)

    def read(self, payloads: list[bytes]) -> tuple[list[Event], ProviderError | Malformed | None]:
        """The events of the chunks one read brought, and the failure that ended them, if one did.

        What came before a malformed chunk is still delivered, then the failure.
        """
        events: list[Event] = []
        try:
            for data in payloads:
                # jiter reads a chunk in a sixth of json.loads' time.
                self._chunk(jiter.from_json(data), events)
        except ProviderError as error:  # the server said it failed
            return joined_text(events), error
        except Exception as error:  # noqa: BLE001 - a chunk we cannot read, whatever about it the parsing tripped on
            return joined_text(events), malformed(error)
        return joined_text(events), None

    def _chunk(self, chunk: Any, events: list[Event]) -> None:
        if not isinstance(chunk, dict):
            raise ValueError("an event that is not a JSON object")
        if "error" in chunk:
            raise ProviderError(_("The model server at %(url)s failed during the reply: %(detail)s")
                                % {"url": self.base_url, "detail": str(chunk["error"])[:300]}, kind="refused", retryable=True)
        if chunk.get("usage"):
            self.usage = Usage(chunk["usage"].get("prompt_tokens") or 0, chunk["usage"].get("completion_tokens") or 0)
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if content:
                self.text.append(content)
                events.append(TextDelta(content))
            events.extend(self.calls.read(piece) for piece in delta.get("tool_calls") or ())
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]


class Malformed(ValueError):
    """A reply of a shape that cannot be read; its cause is what the parsing raised."""


def malformed(error: Exception) -> Malformed:
    found = Malformed(str(error) or type(error).__name__)
    found.__cause__ = error
    return found


def joined_text(events: list[Event]) -> list[Event]:
    """Text pieces that came in one read, as one TextDelta: a reader that fell behind catches up
    with one event (one write to its client) instead of one per token."""
    if len(events) < 2:
        return events
    joined: list[Event] = []
    for event in events:
        if type(event) is TextDelta and joined and type(joined[-1]) is TextDelta:
            joined[-1] = TextDelta(joined[-1].text + event.text)
        else:
            joined.append(event)
    return joined


class ToolCalls:
    """The tool calls of one reply as they stream: each call's first piece gets its id and name."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._arguments: list[str] = []

    @property
    def made(self) -> bool:
        return bool(self._seen)

    @property
    def arguments(self) -> str:
        return "".join(self._arguments)

    def read(self, piece: Any) -> ToolCallDelta:
        if not isinstance(piece, dict):
            raise ValueError("a tool call that is not a JSON object")
        index = piece.get("index", 0)
        function = piece.get("function") or {}
        if not isinstance(function, dict):
            raise ValueError("a tool call whose function is not a JSON object")
        fragment = function.get("arguments") or ""
        if not isinstance(index, int) or not isinstance(fragment, str):
            raise ValueError("a tool call with a malformed index or arguments")
        self._arguments.append(fragment)
        if index in self._seen:
            return ToolCallDelta(index, None, None, fragment)  # servers that repeat the id and name: once is enough
        self._seen.add(index)
        # Not every server names its calls; clients need an id to answer one with a tool message.
        call_id = piece.get("id") or "call_" + secrets.token_urlsafe(18)
        return ToolCallDelta(index, str(call_id), str(function.get("name") or ""), fragment)
