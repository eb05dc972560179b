"""Reading an OpenAI-compatible server's streamed reply: its body, a watchdog for silence, its chunks.

`OpenAIProvider.stream` (openai_compat.py) opens the stream through the SDK and hands the raw
response here. The body is read straight from aiohttp's buffer, with one watchdog per stream
instead of a timer re-armed on every read, and each SSE chunk becomes TextDelta, ToolCallDelta
events and the reply's usage (docs/chat.md and docs/benchmarks.md say why it is done this way).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import jiter

from agora.i18n import gettext as _
from agora.providers.base import Event, ProviderError, TextDelta, ToolCallDelta, Usage


def body_reader(response: Any, watchdog: Watchdog) -> Callable[[], Awaitable[bytes]]:
    """`read()`: the next bytes of the response body, b"" at its end.

    With the SDK's aiohttp transport, straight from aiohttp's buffer: the SDK's, httpx's and
    the transport's byte iterators in between cost a generator step each per read, and
    aiohttp re-arms its read-timeout timer on every read (both measured at 1,000 streams,
    docs/benchmarks.md). That timer is switched off for the body; `watchdog` keeps the
    timeout instead, checking a few times per period whether anything was read. With any
    other transport, the SDK's byte iterator and the transport's own read timeout.
    """
    stream = getattr(getattr(response, "http_response", None), "stream", None)
    for _layer in range(3):  # httpx wraps the transport's stream (BoundAsyncStream._stream)
        if stream is None or hasattr(stream, "_aiohttp_response"):
            break
        stream = getattr(stream, "_stream", None)
    aiohttp_response = getattr(stream, "_aiohttp_response", None)  # the SDK's vendored httpx_aiohttp stream
    content = getattr(aiohttp_response, "content", None)
    connection = getattr(aiohttp_response, "connection", None)
    protocol = getattr(connection, "protocol", None)
    if content is not None and hasattr(content, "readany"):
        if hasattr(protocol, "read_timeout"):  # (no connection left when the whole body is in already: no timer either)
            protocol.read_timeout = None  # not re-armed on the reads to come
            drop = getattr(protocol, "_drop_timeout", None)  # and the one armed by the headers' read goes now
            if drop is not None:
                drop()
        watchdog.start(lambda error: content.set_exception(error))
        return content.readany
    blocks = response.iter_bytes().__aiter__()  # its read timeout stays the transport's own

    async def read() -> bytes:
        try:
            return await blocks.__anext__()
        except StopAsyncIteration:
            return b""

    return read


class Silent(TimeoutError):
    """The model server sent nothing for the whole timeout while streaming."""


class Watchdog:
    """One timer per stream instead of one per read: fails the read when nothing came for `timeout` seconds.

    It wakes four times per timeout; a stream that read anything since the last wake is
    alive. So a silent server is noticed after 1 to 1.25 timeouts.
    """

    CHECKS_PER_TIMEOUT = 4

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.reads = 0
        self.fired: Silent | None = None
        self._seen = -1
        self._quiet = 0
        self._handle: asyncio.TimerHandle | None = None
        self._fail: Callable[[BaseException], None] | None = None

    def start(self, fail: Callable[[BaseException], None]) -> None:
        self._fail = fail
        if self.timeout and self.timeout > 0:
            self._handle = asyncio.get_running_loop().call_later(self.timeout / self.CHECKS_PER_TIMEOUT, self._check)

    def _check(self) -> None:
        if self.reads != self._seen:
            self._seen, self._quiet = self.reads, 0
        else:
            self._quiet += 1
            if self._quiet >= self.CHECKS_PER_TIMEOUT:
                self._handle = None
                self.fired = Silent(f"nothing read for {self.timeout:g} s")
                if self._fail is not None:
                    self._fail(self.fired)
                return
        self._handle = asyncio.get_running_loop().call_later(self.timeout / self.CHECKS_PER_TIMEOUT, self._check)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class Reply:
    """What the stream said so far: text, tool calls, finish reason and usage."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.text: list[str] = []
        self.calls = ToolCalls()
        self.finish_reason: str | None = None
        self.usage: Usage | None = None

    def read(self, payloads: list[bytes]) -> tuple[list[Event], Exception | None]:
        """The events of the chunks one read brought, and the failure that ended them, if one did.

        What came before a malformed chunk is still delivered, then the failure.
        """
        events: list[Event] = []
        try:
            for data in payloads:
                # jiter (the SDK's own parser) reads a chunk in a sixth of json.loads' time.
                self._chunk(jiter.from_json(data), events)
        except Exception as error:
            return joined_text(events), error
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
            for piece in delta.get("tool_calls") or ():
                events.append(self.calls.read(piece))
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]


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
