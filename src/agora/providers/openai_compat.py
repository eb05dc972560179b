"""`openai`: any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp server), through Agora's own model client.

The client (model_client.py) sends 429s, 5xx and failed connections again, with backoff,
before the reply starts; once tokens flow, a failure ends the reply (retrying would repeat
text). Tools are passed through, and the model's tool calls come back as ToolCallDelta events.
"""

from __future__ import annotations

import json
import math
import secrets
import weakref
from collections.abc import AsyncIterator
from typing import Any

from agora.config import Settings
from agora.i18n import gettext as _
from agora.providers.base import Completion, CompletionRequest, Event, Finished, ProviderError, Usage
from agora.providers.model_client import TALKING_FAILURES, ModelClient
from agora.providers.openai_stream import Reply, malformed

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
        self._client = ModelClient(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries)
        # The catalog drops a provider whose configuration changed while its last streams may
        # still run; the session must then be closed on its own loop, or it leaks its connections.
        weakref.finalize(self, self._client.close_soon)

    def models(self) -> list[str]:
        return list(self._models)

    def context_window(self, model: str) -> int:
        return self._context_tokens

    def count_tokens(self, messages: list[dict[str, Any]], model: str) -> int:
        return sum(TOKENS_PER_MESSAGE + math.ceil(_characters(m) / CHARS_PER_TOKEN) for m in messages)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[Event]:
        reply = Reply(self.base_url)
        body = await self._client.open_stream(_payload(request, stream=True))
        read, watchdog = body.read, body.watchdog
        try:
            while True:
                block = await read()
                watchdog.reads += 1
                events, failure = reply.feed(block)  # b"": the body ended, and a last line without its newline is read too
                for event in events:
                    yield event
                if failure is not None:
                    raise failure
                if not block:
                    break
        except TALKING_FAILURES as error:
            raise body.failure(error) from error
        finally:
            body.close()  # on cancellation too: a reply cut short closes its connection, which stops the server
        yield self._finished(reply, request)

    def _finished(self, reply: Reply, request: CompletionRequest) -> Finished:
        if reply.finish_reason is None:
            raise ProviderError(_("The model server at %(url)s ended the reply before finishing it.") % {"url": self.base_url},
                                kind="bad_reply", retryable=True)
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
        return Finished(usage, finish_reason)

    async def complete(self, request: CompletionRequest) -> Completion:
        """The whole reply as one JSON body (`stream: false`), for a caller that wants it whole (/v1)."""
        body = await self._client.complete(_payload(request, stream=False))
        try:
            return self._completion(body, request)
        except (ValueError, TypeError, AttributeError) as error:  # JSON of a shape we cannot read
            raise self._client.explain(malformed(error), answered=True) from error

    def _completion(self, body: Any, request: CompletionRequest) -> Completion:
        choice = (body.get("choices") or [None])[0] if isinstance(body, dict) else None
        if not isinstance(choice, dict) or not isinstance(message := choice.get("message"), dict):
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

    async def aclose(self) -> None:
        await self._client.aclose()


def _payload(request: CompletionRequest, *, stream: bool) -> dict[str, Any]:
    """The request as OpenAI's chat completions API takes it; a stream asks for the usage in its last chunk."""
    payload: dict[str, Any] = {"model": request.model, "messages": request.messages, "temperature": request.temperature,
                               "top_p": request.top_p, "max_tokens": request.max_tokens}
    if request.stop:
        payload["stop"] = request.stop
    if request.tools:
        payload["tools"] = request.tools
        if request.tool_choice is not None:
            payload["tool_choice"] = request.tool_choice
        if request.parallel_tool_calls is not None:
            payload["parallel_tool_calls"] = request.parallel_tool_calls
    if stream:
        payload.update(stream=True, stream_options={"include_usage": True})
    return payload


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
