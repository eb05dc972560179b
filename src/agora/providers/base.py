"""The provider interface: stream a chat completion from OpenAI-style messages.

A provider is any object with these methods; a third-party package adds one through the
``agora.providers`` entry-point group (see registry.py). Streams are async generators:
closing one (``aclose()``, or cancelling the task iterating it) stops the generation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class CompletionRequest:
    messages: list[dict[str, Any]]
    model: str
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 512
    stop: list[str] = field(default_factory=list)
    tools: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Queued:
    """`position` requests are ahead of this one (0: next); sent again whenever it moves up."""

    position: int


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Finished:
    usage: Usage
    finish_reason: str


Event = Queued | TextDelta | Finished


class ProviderError(Exception):
    """The backend failed; `message` is written for the person chatting (and the operator)."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


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
        """Zero or more Queued, then TextDelta events, then exactly one Finished; or ProviderError."""
        ...

    async def aclose(self) -> None: ...
