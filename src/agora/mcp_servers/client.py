"""Talking to one MCP server with the official `mcp` SDK: list its tools, call one; every failure said in words a builder can act on.

Each listing and each call opens its own session (streamable HTTP: initialize, the request,
then the session is ended; stdio: the command is started and stopped), so no connection
outlives the request that needed it and a restarted server is simply reached again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx2
import mcp_types
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from agora.i18n import gettext as _
from agora.mcp_servers.guard import GuardedTransport
from agora.outbound import Policy, Refused

CONNECT_SECONDS = 10.0
LIST_SECONDS = 30.0  # the whole listing: connecting, initializing and every page of tools/list
MAX_TOOLS = 128  # as many as OpenAI's API takes in one request
MAX_PAGES = 20


class McpFailure(Exception):
    """Something an MCP server did not do, said for the builder or the person chatting."""


class Unreachable(McpFailure):
    """The server could not be reached or did not speak MCP: the message says which, and what to check."""

    def __init__(self, message: str, *, auth: bool = False) -> None:
        super().__init__(message)
        self.auth = auth  # it refused Agora's credentials (HTTP 401 or 403)


class CallRefused(McpFailure):
    """The server refused one call (an unknown tool, arguments it rejects) with a protocol error."""


@dataclass(frozen=True)
class Target:
    """Where a server is and how to authenticate: a streamable HTTP URL, or a command from the operator's configuration."""

    url: str = ""
    bearer: str | None = None
    stdio: StdioServerParameters | None = None
    # The outbound guard's rules for a remote server (agora.outbound); a stdio command is the operator's own and is not guarded.
    policy: Policy | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def where(self) -> str:
        return urlsplit(self.url).netloc if self.stdio is None else self.stdio.command


@dataclass(frozen=True)
class Listed:
    """What a server says about itself and its tools."""

    name: str
    tools: list[mcp_types.Tool]


class _Statuses:
    """The HTTP statuses a session met: the SDK reports a refusal as one generic error, the status says why."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    async def __call__(self, response: httpx2.Response) -> None:
        self.seen.append(response.status_code)

    def refusal(self) -> int | None:
        return next((status for status in reversed(self.seen) if status >= 400), None)


def http_client(target: Target, statuses: _Statuses, *, read_seconds: float) -> httpx2.AsyncClient:
    """The one place Agora builds its HTTP client for MCP servers: through the outbound guard, no redirects of its own
    (the SDK follows same-origin ones itself, through the same transport)."""
    if target.policy is None:
        raise ValueError("a remote MCP server is only reached through the outbound guard: give the target its policy")
    headers = dict(target.headers)
    if target.bearer:
        headers["Authorization"] = f"Bearer {target.bearer}"
    return httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(read_seconds, connect=CONNECT_SECONDS), transport=GuardedTransport(target.policy),
                              event_hooks={"response": [statuses]}, follow_redirects=False, trust_env=False)


@asynccontextmanager
async def session(target: Target, *, read_seconds: float) -> AsyncIterator[Client]:
    """An initialized MCP session with the target; Unreachable, saying why, when there is none."""
    statuses = _Statuses()
    try:
        if target.stdio is not None:
            async with Client(stdio_client(target.stdio), cache=None, read_timeout_seconds=read_seconds) as client:
                yield client
            return
        async with http_client(target, statuses, read_seconds=read_seconds) as http, \
                Client(streamable_http_client(target.url, http_client=http), cache=None, read_timeout_seconds=read_seconds) as client:
            yield client
    except asyncio.CancelledError:
        raise  # the call's time ran out, or the reply was stopped: not the server's failure
    except BaseException as error:
        if (failure := next((leaf for leaf in _leaves(error) if isinstance(leaf, McpFailure)), None)) is not None:
            raise failure from None
        refusal = statuses.refusal()
        explained = explain(error, target, refusal)
        if explained is None:
            raise
        raise Unreachable(explained, auth=refusal in (401, 403)) from error


def _leaves(error: BaseException) -> list[BaseException]:
    """The errors an exception group wraps (the SDK's task groups nest them), or the error itself."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def explain(error: BaseException, target: Target, status: int | None) -> str | None:
    """Why the session failed, for the builder; None for what is not a connection problem (a cancellation, a bug)."""
    where = target.where()
    if status in (401, 403):
        return _("%(server)s refused Agora (HTTP %(status)s): it needs a valid bearer token.", server=where, status=status)
    if status == 404:
        return _("Nothing answers at %(url)s (HTTP 404): check the address of the server's MCP endpoint (often ending in /mcp).", url=target.url)
    if status is not None and status >= 400:
        return _("%(server)s answered with HTTP %(status)s instead of speaking MCP.", server=where, status=status)
    return next((reason for leaf in _leaves(error) if (reason := _reason(leaf, where)) is not None), None)


def _reason(leaf: BaseException, where: str) -> str | None:
    if isinstance(leaf, Refused):  # the outbound guard: its message names the rule
        return _("Agora does not connect to %(server)s: %(reason)s", server=where, reason=str(leaf))
    if isinstance(leaf, httpx2.TimeoutException | TimeoutError):
        return _("%(server)s did not answer in time.", server=where)
    if isinstance(leaf, httpx2.ConnectError):
        return _("Agora could not connect to %(server)s: %(reason)s.", server=where, reason=str(leaf) or type(leaf).__name__)
    if isinstance(leaf, httpx2.HTTPError):
        return _("The connection to %(server)s failed: %(reason)s.", server=where, reason=str(leaf) or type(leaf).__name__)
    if isinstance(leaf, MCPError):
        return _("%(server)s does not speak MCP as expected: %(reason)s.", server=where, reason=leaf.error.message)
    if isinstance(leaf, OSError):
        return _("The MCP server %(command)s could not be started: %(reason)s.", command=where, reason=str(leaf))
    return None


async def list_tools(target: Target) -> Listed:
    """The server's name and its tools (every page, at most MAX_TOOLS)."""
    async with session(target, read_seconds=LIST_SECONDS) as client:
        name = client.server_info.name if client.server_info is not None else ""
        tools: list[mcp_types.Tool] = []
        cursor: str | None = None
        for _page in range(MAX_PAGES):
            page = await client.list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor or len(tools) >= MAX_TOOLS:
                break
        return Listed(name=name or target.where(), tools=tools[:MAX_TOOLS])


async def call_tool(target: Target, name: str, arguments: dict[str, Any], *, read_seconds: float) -> mcp_types.CallToolResult:
    async with session(target, read_seconds=read_seconds) as client:
        try:
            result = await client.call_tool(name, arguments)
        except MCPError as refused:
            raise CallRefused(refused.error.message) from None
    if not isinstance(result, mcp_types.CallToolResult):
        raise Unreachable(_("%(server)s answered the call with something other than a tool result.", server=target.where()))
    return result


def result_text(result: mcp_types.CallToolResult) -> str:
    """What the model reads of a tool's result: its text, what it links to, its structured content when it gave no text."""
    pieces: list[str] = []
    for item in result.content:
        if isinstance(item, mcp_types.TextContent):
            pieces.append(item.text)
        elif isinstance(item, mcp_types.ResourceLink):
            pieces.append(f"[{item.name}]({item.uri})")
        elif isinstance(item, mcp_types.EmbeddedResource):
            resource = item.resource
            pieces.append(resource.text if isinstance(resource, mcp_types.TextResourceContents) else f"[binary resource {resource.uri}]")
        else:  # images and audio: the models Agora calls through tools read text only
            pieces.append(f"[{item.type} omitted]")
    if not any(isinstance(item, mcp_types.TextContent) for item in result.content) and result.structured_content is not None:
        pieces.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(pieces)
