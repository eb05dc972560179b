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
from collections.abc import AsyncIterator
from typing import Any

import openai

from agora.config import Settings
from agora.i18n import gettext as _
from agora.providers.base import Completion, CompletionRequest, Event, Finished, ProviderError, Usage
from agora.providers.openai_json import JsonClient
from agora.providers.openai_json import _retry_after as retry_after
from agora.providers.openai_stream import Reply, Watchdog, body_reader

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
        reply = Reply(self.base_url)
        # The SDK's raw streaming response: its retries, timeouts and status errors, but each
        # event parsed with json.loads rather than into pydantic models, which cost more CPU
        # than the rest of a gateway request together (see docs/benchmarks.md).
        try:
            opened = self._client.chat.completions.with_streaming_response.create(**arguments)
            response = await opened.__aenter__()
        except Exception as error:
            raise self._explain(error) from error
        watchdog = Watchdog(self.timeout)
        try:
            read = body_reader(response, watchdog)
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
                _("The model server at %(url)s ended the reply before finishing it.") % {"url": self.base_url}, kind="bad_reply", retryable=True
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
            raise ProviderError(_("The model server at %(url)s sent a malformed reply.") % {"url": self.base_url}, kind="bad_reply",
                                retryable=True) from error

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
            return ProviderError(_("Could not reach the model server at %(url)s.") % {"url": url}, kind="unreachable", retryable=True)
        if isinstance(error, openai.APITimeoutError) or timed_out(error) or (midway and isinstance(error, TimeoutError)):
            return ProviderError(
                _("The model server at %(url)s did not answer in %(seconds)s s.") % {"url": url, "seconds": f"{self.timeout:g}"},
                kind="timeout", retryable=True,
            )
        if isinstance(error, openai.RateLimitError):
            return ProviderError(_("The model server at %(url)s is busy (too many requests). Try again in a moment.") % {"url": url},
                                 kind="rate_limited", retryable=True, retry_after=retry_after(error.response.headers.get("retry-after")))
        if isinstance(error, openai.APIStatusError):
            detail = _server_message(error)
            return ProviderError(
                _("The model server at %(url)s refused the request (HTTP %(status)s): %(detail)s")
                % {"url": url, "status": error.status_code, "detail": detail},
                kind="refused", retryable=error.status_code >= 500,
            )
        if isinstance(error, openai.APIConnectionError) and not midway:
            return ProviderError(_("Could not reach the model server at %(url)s.") % {"url": url}, kind="unreachable", retryable=True)
        if isinstance(error, (json.JSONDecodeError, ValueError, openai.APIResponseValidationError)):
            return ProviderError(_("The model server at %(url)s sent a malformed reply.") % {"url": url}, kind="bad_reply", retryable=True)
        # httpx errors raised while reading the body (connection dropped mid-stream) land here.
        return ProviderError(_("The connection to the model server at %(url)s broke during the reply.") % {"url": url}, kind="bad_reply",
                             retryable=True)

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
