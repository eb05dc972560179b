"""`openai`: any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp server) via the official SDK.

The SDK retries 429, 5xx and connection failures with exponential backoff before the
stream starts; once tokens flow, a failure ends the reply (retrying would repeat text).
Tools are passed through, and the model's tool calls come back as ToolCallDelta events.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import AsyncIterator
from typing import Any

import openai

from agora.config import Settings
from agora.i18n import gettext as _
from agora.providers.base import CompletionRequest, Event, Finished, ProviderError, TextDelta, ToolCallDelta, Usage

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
        )

    def models(self) -> list[str]:
        return list(self._models)

    def context_window(self, model: str) -> int:
        return self._context_tokens

    def count_tokens(self, messages: list[dict[str, Any]], model: str) -> int:
        return sum(TOKENS_PER_MESSAGE + math.ceil(_characters(m) / CHARS_PER_TOKEN) for m in messages)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[Event]:
        arguments: dict[str, Any] = dict(
            model=request.model,
            messages=request.messages,
            temperature=request.temperature,
            top_p=request.top_p,
            max_tokens=request.max_tokens,
            stream=True,
            stream_options={"include_usage": True},
        )
        if request.stop:
            arguments["stop"] = request.stop
        if request.tools:
            arguments["tools"] = request.tools
            if request.tool_choice is not None:
                arguments["tool_choice"] = request.tool_choice
            if request.parallel_tool_calls is not None:
                arguments["parallel_tool_calls"] = request.parallel_tool_calls
        text: list[str] = []
        calls = _ToolCalls()
        finish_reason: str | None = None
        usage: Usage | None = None
        # The SDK's raw streaming response: its retries, timeouts and status errors, but each
        # event parsed with json.loads rather than into pydantic models, which cost more CPU
        # than the rest of a gateway request together (see docs/benchmarks.md).
        try:
            opened = self._client.chat.completions.with_streaming_response.create(**arguments)
            response = await opened.__aenter__()
        except Exception as error:
            raise self._explain(error) from error
        try:
            async for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue  # blank separators, comments, `event:` lines
                data = line[5:].strip()
                if data == "[DONE]":
                    continue  # read on to the body's end, so the connection goes back to the pool
                chunk = json.loads(data)
                if not isinstance(chunk, dict):
                    raise ValueError("an event that is not a JSON object")
                if "error" in chunk:
                    raise ProviderError(_("The model server at %(url)s failed during the reply: %(detail)s")
                                        % {"url": self.base_url, "detail": str(chunk["error"])[:300]}, retryable=True)
                if chunk.get("usage"):
                    usage = Usage(chunk["usage"].get("prompt_tokens") or 0, chunk["usage"].get("completion_tokens") or 0)
                for choice in chunk.get("choices") or ():
                    delta = choice.get("delta") or {}
                    content = delta.get("content")
                    if content:
                        text.append(content)
                        yield TextDelta(content)
                    for piece in delta.get("tool_calls") or ():
                        yield calls.read(piece)
                    if choice.get("finish_reason"):
                        finish_reason = choice["finish_reason"]
        except ProviderError:
            raise
        except Exception as error:
            raise self._explain(error, midway=True) from error
        finally:
            # On cancellation too: closing the response stops the upstream work.
            await opened.__aexit__(None, None, None)
        if finish_reason is None:
            raise ProviderError(
                _("The model server at %(url)s ended the reply before finishing it.") % {"url": self.base_url}, retryable=True
            )
        if usage is None:  # servers that ignore include_usage: estimate rather than record nothing
            usage = Usage(
                self.count_tokens(request.messages, request.model),
                self.count_tokens([{"content": "".join(text) + calls.arguments}], request.model) - TOKENS_PER_MESSAGE,
            )
        # Some servers (Ollama, llama.cpp's) end a reply of tool calls with "stop"; clients loop on
        # "tool_calls" to run them, so say it whenever calls were made and the reply was not cut off.
        if calls.made and finish_reason == "stop":
            finish_reason = "tool_calls"
        yield Finished(usage, finish_reason)

    def _explain(self, error: Exception, *, midway: bool = False) -> ProviderError:
        url = self.base_url
        if isinstance(error, openai.APITimeoutError) or timed_out(error):
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


def _characters(message: dict[str, Any]) -> int:
    """What a message puts in the prompt: its text, and the calls of an assistant's tool calls."""
    size = len(str(message.get("content") or ""))
    if message.get("tool_calls"):
        size += len(json.dumps(message["tool_calls"]))
    return size


def timed_out(error: BaseException) -> bool:
    """A read timeout while streaming (the SDK's HTTP library, httpx or its fork httpx2, names it so)."""
    return any(cls.__name__ == "TimeoutException" for cls in type(error).__mro__)


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
