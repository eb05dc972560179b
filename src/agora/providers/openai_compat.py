"""`openai`: any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp server) via the official SDK.

The SDK retries 429, 5xx and connection failures with exponential backoff before the
stream starts; once tokens flow, a failure ends the reply (retrying would repeat text).
Tools are passed through, and the model's tool calls come back as ToolCallDelta events.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import jiter
import openai

from agora.config import Settings
from agora.i18n import gettext as _
from agora.providers.base import Completion, CompletionRequest, Event, Finished, ProviderError, TextDelta, ToolCallDelta, Usage
from agora.providers.openai_json import JsonClient

# No tokenizer for a remote model: estimate high (3 characters a token, plus the per-message
# framing) so the history we send never overflows the server's context window.
CHARS_PER_TOKEN = 3
TOKENS_PER_MESSAGE = 4


class OpenAIProvider:
    name = "openai"
    supports_tools = True

    def __init__(self, *, base_url: str, api_key: str | None, models: list[str], context_tokens: int, timeout: float, max_retries: int) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._models = models
        self._context_tokens = context_tokens
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            # Local servers (Ollama, vLLM) accept any key; the SDK insists on one.
            api_key=api_key or "unused",
            timeout=timeout,
            max_retries=max_retries,
            # The SDK's aiohttp transport (C HTTP parser) rather than its default pure-Python
            # one, which took two thirds of a worker's CPU at 1,000 streams (docs/benchmarks.md).
            # Retries, timeouts and error classes are the SDK's either way.
            http_client=openai.DefaultAioHttpClient(),
        )
        self._home = _Home(self._client)
        weakref.finalize(self, self._home.close_soon)
        self._json = JsonClient(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries)  # `complete`'s
        weakref.finalize(self, self._json.close_soon)

    def models(self) -> list[str]:
        return list(self._models)

    def context_window(self, model: str) -> int:
        return self._context_tokens

    def count_tokens(self, messages: list[dict[str, Any]], model: str) -> int:
        return sum(TOKENS_PER_MESSAGE + math.ceil(_characters(m) / CHARS_PER_TOKEN) for m in messages)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[Event]:
        # The messages and tools go in `extra_body`, which the SDK sends as they are: passed as
        # typed parameters, the SDK walks every message against its TypedDict annotations
        # first (for aliases and formats chat messages do not have), about 1 ms of CPU a
        # request, so a third of what opening a stream cost a worker.
        arguments = _arguments(request)
        body: dict[str, Any] = {key: arguments.pop(key) for key in ("messages", "tools", "tool_choice") if key in arguments}
        arguments.update(messages=[], stream=True, stream_options={"include_usage": True}, extra_body=body)
        self._home.loop = self._home.loop or asyncio.get_running_loop()
        reply = _Reply(self.base_url)
        # The SDK's raw streaming response: its retries, timeouts and status errors, but each
        # event parsed with json.loads rather than into pydantic models, which cost more CPU
        # than the rest of a gateway request together (see docs/benchmarks.md).
        try:
            opened = self._client.chat.completions.with_streaming_response.create(**arguments)
            response = await opened.__aenter__()
        except Exception as error:
            raise self._explain(error) from error
        watchdog = _Watchdog(self.timeout)
        try:
            read = _body_reader(response, watchdog)
            rest = b""
            while block := await read():
                watchdog.reads += 1
                # The `data:` payloads of the Server-Sent Events this read completed, split once per
                # read rather than by the SDK's line iterator (three more generators a line). Blank
                # lines, comments and `event:` lines carry nothing we need; `[DONE]` is skipped.
                lines = (rest + block).split(b"\n")
                rest = lines.pop()  # an unfinished line waits for the next read
                payloads = [data for line in lines if line.startswith(b"data:") and (data := line[5:].strip()) != b"[DONE]"]
                if payloads:
                    events, failure = reply.read(payloads)
                    for event in events:
                        yield event
                    if failure is not None:
                        raise failure
            if rest.startswith(b"data:") and (data := rest[5:].strip()) not in (b"", b"[DONE]"):
                events, failure = reply.read([data])
                for event in events:
                    yield event
                if failure is not None:
                    raise failure
        except ProviderError:
            raise
        except Exception as error:
            raise self._explain(error, midway=True) from error
        finally:
            watchdog.stop()
            # On cancellation too: closing the response stops the upstream work.
            await opened.__aexit__(None, None, None)
        if reply.finish_reason is None:
            raise ProviderError(
                _("The model server at %(url)s ended the reply before finishing it.") % {"url": self.base_url}, retryable=True
            )
        usage = reply.usage
        if usage is None:  # servers that ignore include_usage: estimate rather than record nothing
            usage = Usage(
                self.count_tokens(request.messages, request.model),
                self.count_tokens([{"content": "".join(reply.text) + reply.calls.arguments}], request.model) - TOKENS_PER_MESSAGE,
            )
        finish_reason = reply.finish_reason
        # Some servers (Ollama, llama.cpp's) end a reply of tool calls with "stop"; clients loop on
        # "tool_calls" to run them, so say it whenever calls were made and the reply was not cut off.
        if reply.calls.made and finish_reason == "stop":
            finish_reason = "tool_calls"
        yield Finished(usage, finish_reason)

    async def complete(self, request: CompletionRequest) -> Completion:
        """The whole reply as one JSON body (`stream: false`), for a caller that wants it whole (/v1).

        Sent with aiohttp directly (openai_json.py: the SDK's request machinery cost three
        quarters of the call), with the SDK's retries, timeouts and this provider's errors.
        """
        reply = await self._json.post(_arguments(request))
        try:
            return self._completion(reply, request)
        except (ValueError, TypeError, AttributeError) as error:
            raise ProviderError(_("The model server at %(url)s sent a malformed reply.") % {"url": self.base_url}, retryable=True) from error

    def _completion(self, body: Any, request: CompletionRequest) -> Completion:
        choice = (body.get("choices") or [None])[0] if isinstance(body, dict) else None
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            raise ValueError("a completion without a message")
        text = message.get("content") or ""
        calls = [_whole_call(call) for call in message.get("tool_calls") or ()]
        used = body.get("usage")
        if isinstance(used, dict):
            usage = Usage(used.get("prompt_tokens") or 0, used.get("completion_tokens") or 0)
        else:  # as in `stream`: estimate rather than record nothing
            produced = text + "".join(call["function"]["arguments"] for call in calls)
            usage = Usage(self.count_tokens(request.messages, request.model),
                          self.count_tokens([{"content": produced}], request.model) - TOKENS_PER_MESSAGE)
        finish_reason = choice.get("finish_reason") or "stop"
        if calls and finish_reason == "stop":  # as in `stream`
            finish_reason = "tool_calls"
        return Completion(str(text), calls, finish_reason, usage)

    def _explain(self, error: Exception, *, midway: bool = False) -> ProviderError:
        url = self.base_url
        if not midway and isinstance(error, openai.APIConnectionError) and refused(error):
            return ProviderError(_("Could not reach the model server at %(url)s.") % {"url": url}, retryable=True)
        if isinstance(error, openai.APITimeoutError) or timed_out(error) or (midway and isinstance(error, TimeoutError)):
            return ProviderError(
                _("The model server at %(url)s did not answer in %(seconds)s s.") % {"url": url, "seconds": f"{self.timeout:g}"},
                retryable=True,
            )
        if isinstance(error, openai.RateLimitError):
            return ProviderError(_("The model server at %(url)s is busy (too many requests). Try again in a moment.") % {"url": url}, retryable=True)
        if isinstance(error, openai.APIStatusError):
            detail = _server_message(error)
            return ProviderError(
                _("The model server at %(url)s refused the request (HTTP %(status)s): %(detail)s")
                % {"url": url, "status": error.status_code, "detail": detail},
                retryable=error.status_code >= 500,
            )
        if isinstance(error, openai.APIConnectionError) and not midway:
            return ProviderError(_("Could not reach the model server at %(url)s.") % {"url": url}, retryable=True)
        if isinstance(error, (json.JSONDecodeError, ValueError, openai.APIResponseValidationError)):
            return ProviderError(_("The model server at %(url)s sent a malformed reply.") % {"url": url}, retryable=True)
        # httpx errors raised while reading the body (connection dropped mid-stream) land here.
        return ProviderError(_("The connection to the model server at %(url)s broke during the reply.") % {"url": url}, retryable=True)

    async def aclose(self) -> None:
        await self._client.close()
        await self._json.aclose()


class _Home:
    """The event loop a provider's connections live on, to close them there once it is dropped.

    The catalog drops a provider whose configuration changed (its last streams may still be
    running: they keep it alive until they end). aiohttp's session must be closed on its own
    loop, or it leaks its connections and logs "Unclosed client session".
    """

    def __init__(self, client: openai.AsyncOpenAI) -> None:
        self.client = client
        self.loop: asyncio.AbstractEventLoop | None = None  # set by the first stream

    def close_soon(self) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: loop.create_task(self.client.close()))


def _body_reader(response: Any, watchdog: _Watchdog) -> Callable[[], Awaitable[bytes]]:
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


class _Silent(TimeoutError):
    """The model server sent nothing for the whole timeout while streaming."""


class _Watchdog:
    """One timer per stream instead of one per read: fails the read when nothing came for `timeout` seconds.

    It wakes four times per timeout; a stream that read anything since the last wake is
    alive. So a silent server is noticed after 1 to 1.25 timeouts.
    """

    CHECKS_PER_TIMEOUT = 4

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.reads = 0
        self.fired: _Silent | None = None
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
                self.fired = _Silent(f"nothing read for {self.timeout:g} s")
                if self._fail is not None:
                    self._fail(self.fired)
                return
        self._handle = asyncio.get_running_loop().call_later(self.timeout / self.CHECKS_PER_TIMEOUT, self._check)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class _Reply:
    """What the stream said so far: text, tool calls, finish reason and usage."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.text: list[str] = []
        self.calls = _ToolCalls()
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
            return _joined(events), error
        return _joined(events), None

    def _chunk(self, chunk: Any, events: list[Event]) -> None:
        if not isinstance(chunk, dict):
            raise ValueError("an event that is not a JSON object")
        if "error" in chunk:
            raise ProviderError(_("The model server at %(url)s failed during the reply: %(detail)s")
                                % {"url": self.base_url, "detail": str(chunk["error"])[:300]}, retryable=True)
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


def _joined(events: list[Event]) -> list[Event]:
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


class _ToolCalls:
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


def _arguments(request: CompletionRequest) -> dict[str, Any]:
    """The request's parameters as the SDK names them (`stream` moves the messages and tools to `extra_body`)."""
    arguments: dict[str, Any] = dict(model=request.model, messages=request.messages, temperature=request.temperature,
                                     top_p=request.top_p, max_tokens=request.max_tokens)
    if request.stop:
        arguments["stop"] = request.stop
    if request.tools:
        arguments["tools"] = request.tools
        if request.tool_choice is not None:
            arguments["tool_choice"] = request.tool_choice
        if request.parallel_tool_calls is not None:
            arguments["parallel_tool_calls"] = request.parallel_tool_calls
    return arguments


def _whole_call(call: Any) -> dict[str, Any]:
    """A tool call of a whole reply in OpenAI's message shape (an id made up when the server gave none, as in `stream`)."""
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("arguments") or "", str):
        raise ValueError("a malformed tool call")
    return {"id": str(call.get("id") or "call_" + secrets.token_urlsafe(18)), "type": "function",
            "function": {"name": str(function.get("name") or ""), "arguments": function.get("arguments") or ""}}


def _characters(message: dict[str, Any]) -> int:
    """What a message puts in the prompt: its text, and the calls of an assistant's tool calls."""
    size = len(str(message.get("content") or ""))
    if message.get("tool_calls"):
        size += len(json.dumps(message["tool_calls"]))
    return size


def timed_out(error: BaseException) -> bool:
    """A read timeout while streaming (the SDK's HTTP library, httpx or its fork httpx2, names it so)."""
    return any(cls.__name__ == "TimeoutException" for cls in type(error).__mro__)


def refused(error: BaseException) -> bool:
    """The connection itself failed (refused, no route, unknown host), whatever the SDK calls it.

    The SDK's aiohttp transport reports a refused connection as a connect *timeout*; the
    operating system's error underneath says what happened.
    """
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and not isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _server_message(error: openai.APIStatusError) -> str:
    body = error.body  # the SDK unwraps {"error": {...}} already; some servers nest it anyway
    if isinstance(body, dict):
        inner = body.get("error")
        message = inner.get("message") if isinstance(inner, dict) else body.get("message") or inner
        if message:
            return str(message)[:300]
    return str(error.message)[:300]


def create(settings: Settings) -> OpenAIProvider:
    """Entry point `openai`."""
    return OpenAIProvider(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        models=[m.strip() for m in settings.openai_models.split(",") if m.strip()],
        context_tokens=settings.openai_context_tokens,
        timeout=settings.openai_timeout_seconds,
        max_retries=settings.openai_max_retries,
    )
