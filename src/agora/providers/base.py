"""The provider interface: stream a chat completion from OpenAI-style messages.

A provider is any object with these methods; a third-party package adds one through the
``agora.providers`` entry-point group (see registry.py). Streams are async generators:
closing one (``aclose()``, or cancelling the task iterating it) stops the generation.

Tools (function calling) are optional: a provider that can call them sets the class
attribute ``supports_tools = True`` (see `supports_tools()`); the others are never sent a
request with tools, since /v1 refuses those calls with a clear error instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args, runtime_checkable


@dataclass(frozen=True)
class CompletionRequest:
    messages: list[dict[str, Any]]
    model: str
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 512
    stop: list[str] = field(default_factory=list)
    # OpenAI's shapes, validated by /v1: `tools` is a list of {"type": "function", "function": {...}},
    # `tool_choice` is "none", "auto", "required" or {"type": "function", "function": {"name": ...}}.
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None


@dataclass(frozen=True)
class Queued:
    """`position` requests are ahead of this one (0: next); sent again whenever it moves up."""

    position: int


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """A piece of a tool call the model makes, as OpenAI streams it.

    Calls are told apart by `index` (0, 1, ... in the order the model makes them). The first
    piece of a call carries its `id` and function `name`; later pieces have None there and
    only add to `arguments`, whose fragments concatenate into the call's JSON arguments.
    """

    index: int
    id: str | None
    name: str | None
    arguments: str = ""


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Finished:
    usage: Usage
    finish_reason: str


Event = Queued | TextDelta | ToolCallDelta | Finished


@dataclass(frozen=True)
class Completion:
    """A whole reply, from a provider's optional `complete` (see `completer`): what a stream's events add up to."""

    text: str
    tool_calls: list[dict[str, Any]]  # OpenAI's message shape: {"id", "type": "function", "function": {"name", "arguments"}}
    finish_reason: str
    usage: Usage


# What went wrong with the model server, for callers that answer each differently (/v1: 504, 429, 502):
# - timeout: it did not answer, or fell silent mid-reply, for the whole timeout;
# - unreachable: no connection could be made or kept before a reply (refused, unknown host, dropped),
#   or nothing is there to ask (no provider for the model, no local model file);
# - refused: it answered the request with an error (an HTTP error status other than 429, an error
#   event in the stream, the local model failing on the request);
# - bad_reply: its reply could not be read (not JSON, cut off, a stream ending without a finish);
# - rate_limited: it said too many requests (HTTP 429); `retry_after` says when to come back, if it said.
ProviderErrorKind = Literal["timeout", "unreachable", "refused", "bad_reply", "rate_limited"]
PROVIDER_ERROR_KINDS: frozenset[str] = frozenset(get_args(ProviderErrorKind))


class ProviderError(Exception):
    """The backend failed; `message` is written for the person chatting (and the operator) and names the server.

    `retryable`: the same request may succeed if sent again (it is not retried after a reply began).
    `retry_after`: seconds the server asked us to wait (a 429's Retry-After), when it said.
    """

    def __init__(self, message: str, *, kind: ProviderErrorKind, retryable: bool = False, retry_after: float | None = None) -> None:
        if kind not in PROVIDER_ERROR_KINDS:
            raise ValueError(f"ProviderError kind must be one of {sorted(PROVIDER_ERROR_KINDS)}, not {kind!r}")
        super().__init__(message)
        self.message = message
        self.kind: ProviderErrorKind = kind
        self.retryable = retryable
        self.retry_after = retry_after


@runtime_checkable
class Provider(Protocol):
    name: str

    def models(self) -> list[str]:
        """Model names this provider offers; the first is its default."""
        ...

    def context_window(self, model: str) -> int:
        """How many tokens the model reads, prompt and reply together."""
        ...

    def count_tokens(self, messages: list[dict[str, Any]], model: str) -> int:
        """Tokens these messages take in the prompt, for fitting history into the window."""
        ...

    def stream(self, request: CompletionRequest) -> AsyncIterator[Event]:
        """Zero or more Queued, then TextDelta and ToolCallDelta events, then exactly one Finished; or ProviderError.

        ToolCallDelta events come only from a provider with `supports_tools`, for a request
        with `tools`; the Finished event after them says finish_reason "tool_calls".
        """
        ...

    async def aclose(self) -> None: ...


def supports_tools(provider: Provider, model: str) -> bool:
    """Whether `model` gets `tools` from the provider and its calls come back as ToolCallDelta events.

    A provider that routes each model to another (the catalog) answers through `provider_for`.
    """
    route = getattr(provider, "provider_for", None)
    if route is not None:
        try:
            provider = route(model)
        except ProviderError:
            return False  # nothing answers the model: it cannot call tools either
    return bool(getattr(provider, "supports_tools", False))


def completer(provider: Provider, model: str):
    """The provider's `complete(request) -> Completion` for `model` (one JSON body, no stream), or None.

    Optional: a provider that has none is streamed and its events joined. A provider that
    routes each model to another (the catalog) answers through `provider_for`.
    """
    route = getattr(provider, "provider_for", None)
    if route is not None:
        try:
            provider = route(model)
        except ProviderError:
            return None  # the stream says why nothing answers the model
    return getattr(provider, "complete", None)
