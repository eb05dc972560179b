"""The tool registry: where a GPT's tools come from.

A *source* says which tools a GPT has: the built-in tools are one (agora.tools.builtin);
`register(source)` adds more (knowledge files, OpenAPI actions, MCP servers). The reply
engine asks every source when a reply is prepared, offers the tools to a model that can
call them, and runs the calls the model makes (agora.tools.runner), each with a context
saying who asks and where.

A tool (agora.tools.base.Tool) has a `name` the model calls it by, a `description` and
JSON-Schema `parameters` the model reads, a `title()` for people, how long a call may take,
how much of its result the model may read, whether it is *consequential* (it changes
something outside Agora: the reply waits for the person's Allow before such a call,
agora.replies.waiting; /v1 hands it back to the caller), and `run(arguments, context)`.
A tool may also say where its calls go (`server`: an API's host, an MCP server's name),
which the confirmation shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from agora.tools import builtin
from agora.tools.base import Tool, ToolOwner

# A source: the tools a GPT has from it. It may read the database (files, actions) on `session`.
Source = Callable[[Session | None, ToolOwner], Iterable[Tool]]
_sources: list[Source] = [builtin.tools_of]
_titles: dict[str, Callable[[], str]] = dict(builtin.TITLES)


def register(source: Source, *, tools: Iterable[Tool] = ()) -> None:
    """Add a source of tools; `tools` are those it may give whose titles the chat shows in each reader's language."""
    if source not in _sources:
        _sources.append(source)
    for tool in tools:
        _titles[tool.name] = tool.title


def tools_for(session: Session | None, owner: ToolOwner) -> list[Tool]:
    """Every tool the GPT has, from every source, in the order the sources were registered."""
    return [tool for source in _sources for tool in source(session, owner)]


def title(name: str) -> str:
    """A tool's title by its name, in the current language (the name itself for a tool no source declared)."""
    found = _titles.get(name)
    return found() if found is not None else name


def definition(tool: Tool) -> dict[str, Any]:
    """The tool as OpenAI's `tools` list carries it."""
    return {"type": "function", "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters}}
