"""What a tool is, and what a call gets and gives: the shapes every tool source shares (agora.tools.registry)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from agora.config import Settings
from agora.gpts.content import GptContent


@dataclass(frozen=True)
class ToolContext:
    """Who a call is made for, and where: what a tool may need to answer for the right person."""

    user_id: int
    gpt_id: str | None
    conversation_id: str | None
    language: str
    timezone: str  # an IANA name ("Europe/Paris"): the browser's when the chat sent it, else "UTC"
    settings: Settings | None = None  # the application's, for tools that read their secrets or services' addresses


@dataclass(frozen=True)
class Link:
    """A page a result came from, shown to the person as a link under the tool's line (only http and https URLs)."""

    title: str
    url: str

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError(f"a link's URL must be http(s): {self.url!r}")


@dataclass(frozen=True)
class ToolResult:
    content: str  # what the model reads
    summary: str  # one line the person sees after the tool's title: "2+2 = 4"
    sources: tuple[Link, ...] = ()  # the pages it drew on (web search results, a map): the chat lists them as links


class ToolFailed(Exception):
    """A call the tool cannot answer (bad arguments, a failure it can explain): the model and the person are told why."""


class Tool(Protocol):
    name: str  # 1 to 64 letters, digits, underscores or dashes: what the model calls
    description: str
    parameters: dict[str, Any]  # a JSON Schema object
    consequential: bool
    timeout_seconds: float
    max_result_chars: int

    # Optional attributes a tool source may set (read with getattr): `server`, where its calls go, shown when it asks;
    # `asks_first`, a non-consequential tool whose calls send data to a third party: the chat asks before them until the
    # person always allows it (agora.tools.allowances).

    def title(self) -> str:
        """The tool's name for people, in the current language."""
        ...

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        """Raises ToolFailed for a call it cannot answer."""
        ...

    # Optional: `async def sign_in(self, context) -> dict | None`: {"url", "host"} when the person must sign in
    # (to an OAuth action's provider) before a call; the reply then waits like a consequential call (agora.replies.waiting).


@dataclass(frozen=True)
class ToolOwner:
    """The GPT whose tools are asked for: its id and the content in use (its draft, in the editor's preview)."""

    gpt_id: str
    content: GptContent
    settings: Settings | None = None  # the application's (services the operator configured); None: the environment's
