"""MCP servers as a source of tools (agora.tools.registry): each enabled tool of a GPT's servers, and of the instance-wide ones it uses.

The tools come from the listing stored when the server was added or refreshed, so preparing a
reply reads the database only; the server is reached when the model calls one of them.
A tool is consequential (the person is asked first) unless the server declared it
`readOnlyHint: true`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from agora import outbound
from agora.i18n import gettext as _
from agora.mcp_servers import client, stdio
from agora.mcp_servers.client import McpFailure, Target
from agora.mcp_servers.models import McpServer, McpServerUse, McpTool
from agora.providers import encryption
from agora.tools import builtin, registry
from agora.tools.base import Tool, ToolContext, ToolFailed, ToolOwner, ToolResult

CALL_SECONDS = 60.0
MAX_RESULT_CHARS = 20_000
SUMMARY_CHARS = 160
TOKEN_PURPOSE = b"agora mcp bearer tokens v1"
_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_-]")


@dataclass  # not frozen: the Tool protocol declares plain attributes
class RemoteTool:
    """One tool of an MCP server, offered to the model under `name` and called on the server as `remote_name`."""

    name: str
    description: str
    parameters: dict[str, Any]
    consequential: bool
    remote_name: str
    remote_title: str
    server: str  # the server's name, shown beside the call
    target: Target
    timeout_seconds: float = CALL_SECONDS
    max_result_chars: int = MAX_RESULT_CHARS

    def title(self) -> str:
        return self.remote_title or self.remote_name

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        try:
            result = await client.call_tool(self.target, self.remote_name, arguments, read_seconds=self.timeout_seconds)
        except McpFailure as failure:
            raise ToolFailed(str(failure)) from None
        text = client.result_text(result)
        if result.is_error:
            raise ToolFailed(text.strip()[:1000] or _("The server said the call failed, without saying why."))
        return ToolResult(content=text, summary=summary(text))


def summary(text: str) -> str:
    """The first line of a result, cut to one line the person reads."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= SUMMARY_CHARS else line[:SUMMARY_CHARS - 1] + "…"


class Source:
    """The registered source. It reads the application's state when asked (create_app hands it over): the settings of the
    moment (the outbound guard's), the secret key that decrypts tokens, the operator's stdio servers."""

    def __init__(self) -> None:
        self.state: Any = None

    @property
    def stdio_servers(self) -> dict[str, stdio.Command]:
        return {} if self.state is None else self.state.mcp_stdio_servers

    def __call__(self, session: Session | None, owner: ToolOwner) -> Iterable[Tool]:
        if session is None or self.state is None:
            return []
        rows = session.execute(_ENABLED_TOOLS, {"gpt_id": owner.gpt_id}).all()
        taken = {tool.name for tool in builtin.TOOLS}
        tools: list[Tool] = []
        targets: dict[int, Target | None] = {}
        for server, tool in rows:
            if server.id not in targets:
                targets[server.id] = self.target(server)
            target = targets[server.id]
            if target is None:  # a stdio server the operator has since taken out of the configuration, or a token unreadable
                continue
            name = model_name(tool.name, server.id, taken)
            taken.add(name)
            tools.append(RemoteTool(name=name, description=tool.description or tool.title or tool.name, parameters=tool.input_schema,
                                    consequential=not tool.read_only, remote_name=tool.name, remote_title=tool.title, server=server.name,
                                    target=target))
        return tools

    def target(self, server: McpServer) -> Target | None:
        """How to reach the server now; None when it cannot be (its command no longer configured, its token unreadable)."""
        if server.transport == "stdio":
            command = self.stdio_servers.get(server.url.removeprefix("stdio:"))
            return None if command is None else Target(stdio=command.parameters())
        bearer = None
        if server.auth == "bearer" and server.secret_encrypted:
            try:
                bearer = encryption.decrypt(server.secret_encrypted, self.state.secret_key, TOKEN_PURPOSE)
            except encryption.KeyUnreadable:
                return None
        return self.remote(server.url, bearer)

    def remote(self, url: str, bearer: str | None) -> Target:
        """A remote server's target, behind the outbound guard as the operator's settings are now."""
        return Target(url=url, bearer=bearer, policy=outbound.policy(self.state.settings))


# Built once: every reply from a GPT that can call tools runs it, mostly to learn it has no MCP server, and
# building a statement costs several times what running it does (see agora.gpts.access._usable_by_id).
_ENABLED_TOOLS = (
    select(McpServer, McpTool).join(McpTool, McpTool.server_id == McpServer.id)
    .where(or_(McpServer.gpt_id == bindparam("gpt_id"),
               McpServer.id.in_(select(McpServerUse.server_id).where(McpServerUse.gpt_id == bindparam("gpt_id")))),
           McpTool.enabled.is_(True))
    .order_by(McpServer.id, McpTool.id)
)


def model_name(remote: str, server_id: int, taken: set[str]) -> str:
    """The name the model calls a tool by: the server's name for it where OpenAI's rules allow, prefixed with its server when taken."""
    name = _NOT_A_NAME.sub("_", remote)[:64] or "tool"
    if name not in taken:
        return name
    return f"mcp{server_id}_{name}"[:64]


SOURCE = Source()


def install(state: Any) -> None:
    """Offer MCP servers' tools to every reply (called by create_app with its app.state: one application per process)."""
    SOURCE.state = state
    registry.register(SOURCE)
