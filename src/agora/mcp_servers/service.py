"""The rules of MCP servers: what may be added where, what is stored of a listing, which tools are enabled; no HTTP.

A server belongs to one GPT (its editors manage it) or to the instance (administrators do);
a GPT's editors switch an instance-wide server on or off for their GPT. Listing a server's
tools reaches the network, so callers list first (client.list_tools) and write after, in
a short transaction of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora.db import utcnow
from agora.errors import Conflict, InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.mcp_servers import stdio
from agora.mcp_servers.client import Listed, Target
from agora.mcp_servers.models import INSTANCE, McpServer, McpServerUse, McpTool
from agora.mcp_servers.source import TOKEN_PURPOSE, Source
from agora.providers import encryption

MAX_SERVERS = 10  # per GPT, and for the instance
MAX_URL = 2000
MAX_TOKEN = 4000
AuthType = Literal["none", "bearer", "oauth"]


@dataclass(frozen=True)
class NewServer:
    """A server to add, checked: where it is and how Agora authenticates."""

    url: str
    transport: str
    auth: AuthType
    token: str | None


def checked(*, url: str | None, stdio_name: str | None, auth: AuthType, token: str | None, instance: bool,
            stdio_servers: dict[str, stdio.Command]) -> NewServer:
    """The server to add, or InvalidInput naming the field and the fix."""
    if stdio_name is not None:
        return _stdio(stdio_name, url, instance, stdio_servers)
    address = _address(url)
    if auth == "oauth":
        raise InvalidInput(_("OAuth sign-in for MCP servers is not available yet: use a bearer token, or no authentication."), field="auth.type")
    if auth == "bearer":
        token = (token or "").strip()
        if not token or len(token) > MAX_TOKEN or any(ch.isspace() for ch in token):
            raise InvalidInput(_("Give the bearer token: one word of at most %(max)s characters, without “Bearer”.", max=MAX_TOKEN),
                               field="auth.token")
    elif token:
        raise InvalidInput(_("A token is only sent with bearer authentication: choose it, or leave the token out."), field="auth.token")
    return NewServer(url=address, transport="http", auth=auth, token=token if auth == "bearer" else None)


def _stdio(name: str, url: str | None, instance: bool, stdio_servers: dict[str, stdio.Command]) -> NewServer:
    if not instance:
        raise InvalidInput(_("Stdio servers are added by administrators, from the server's configuration."), field="stdio")
    if name not in stdio_servers:
        raise InvalidInput(_("No stdio server named “%(name)s” is in the server's configuration (AGORA_MCP_STDIO_CONFIG).", name=name),
                           field="stdio")
    if url:
        raise InvalidInput(_("Give either a URL or a stdio server, not both."), field="url")
    return NewServer(url=f"stdio:{name}", transport="stdio", auth="none", token=None)


def _address(url: str | None) -> str:
    address = (url or "").strip()
    parts = urlsplit(address)
    if not address:
        raise InvalidInput(_("Give the address of the MCP server's streamable HTTP endpoint, e.g. https://example.com/mcp."), field="url")
    if len(address) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(_("Give an http:// or https:// address of at most %(max)s characters, e.g. https://example.com/mcp.", max=MAX_URL),
                           field="url")
    if parts.username or parts.password:
        raise InvalidInput(_("Put no user name or password in the address: choose bearer token authentication instead."), field="url")
    if parts.fragment:
        raise InvalidInput(_("An MCP endpoint's address has no #fragment."), field="url")
    return address


def target(source: Source, new: NewServer) -> Target:
    if new.transport == "stdio":
        return Target(stdio=source.stdio_servers[new.url.removeprefix("stdio:")].parameters())
    return source.remote(new.url, new.token)


def refuse_duplicate(session: Session, scope: str, url: str) -> None:
    """Before reaching the server: the same address twice, or one too many, is refused at once."""
    if session.scalar(select(McpServer.id).where(McpServer.scope == scope, McpServer.url == url)) is not None:
        raise Conflict(_("This MCP server is already added here."), field="url")
    if (session.scalar(select(func.count()).select_from(McpServer).where(McpServer.scope == scope)) or 0) >= MAX_SERVERS:
        raise InvalidInput(_("At most %(max)s MCP servers can be added here: remove one first.", max=MAX_SERVERS), field="url")


def save(session: Session, *, gpt_id: str | None, new: NewServer, listed: Listed, user_id: int | None, secret_key: str) -> McpServer:
    """The server and its tools, every tool enabled (the builder then unticks what the GPT should not use)."""
    scope = gpt_id or INSTANCE
    refuse_duplicate(session, scope, new.url)
    server = McpServer(scope=scope, gpt_id=gpt_id, name=(listed.name or urlsplit(new.url).netloc)[:100], url=new.url, transport=new.transport,
                       auth=new.auth, created_by=user_id, last_error="",
                       secret_encrypted=encryption.encrypt(new.token, secret_key, TOKEN_PURPOSE) if new.token else None)
    session.add(server)
    try:
        session.flush()
    except IntegrityError:  # the same server added by a concurrent request between the check and now
        raise Conflict(_("This MCP server is already added here."), field="url") from None
    _store_tools(session, server, listed, new_enabled=True)
    return server


def relisted(session: Session, server: McpServer, listed: Listed) -> None:
    """A fresh listing: descriptions, schemas and read-only marks updated, gone tools dropped, new ones added switched off."""
    server.refreshed_at, server.last_error = utcnow(), ""
    _store_tools(session, server, listed, new_enabled=False)


def failed(server: McpServer, reason: str) -> None:
    server.last_error = reason


def _store_tools(session: Session, server: McpServer, listed: Listed, *, new_enabled: bool) -> None:
    existing = {tool.name: tool for tool in session.scalars(select(McpTool).where(McpTool.server_id == server.id))}
    seen: set[str] = set()
    for listed_tool in listed.tools:
        if listed_tool.name in seen or len(listed_tool.name) > 200:
            continue  # a server listing one name twice: the first stands
        seen.add(listed_tool.name)
        row = existing.get(listed_tool.name) or McpTool(server_id=server.id, name=listed_tool.name, enabled=new_enabled)
        annotations = listed_tool.annotations
        row.title = (listed_tool.title or (annotations.title if annotations else None) or "")[:200]
        row.description = listed_tool.description or ""
        row.input_schema = _object_schema(listed_tool.input_schema)
        row.read_only = bool(annotations and annotations.read_only_hint is True)
        session.add(row)
    for name, row in existing.items():
        if name not in seen:
            session.delete(row)
    session.flush()


def _object_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The tool's input schema as a function's parameters: an object, whatever the server sent."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return {"type": "object", "properties": {}}
    return schema


def enable(session: Session, server: McpServer, names: list[str]) -> None:
    """Exactly these tools of the server enabled; InvalidInput naming the first one the server did not list."""
    tools = {tool.name: tool for tool in session.scalars(select(McpTool).where(McpTool.server_id == server.id))}
    for index, name in enumerate(names):
        if name not in tools:
            raise InvalidInput(_("“%(name)s” is not one of this server's tools: refresh its tools, then choose among them.", name=name),
                               field=f"enabled_tools[{index}]")
    for name, tool in tools.items():
        tool.enabled = name in names


def use(session: Session, gpt_id: str, server: McpServer, used: bool) -> None:
    """Switch an instance-wide server on or off for a GPT; doing it twice is the same as once."""
    row = session.get(McpServerUse, (gpt_id, server.id))
    if used and row is None:
        session.add(McpServerUse(gpt_id=gpt_id, server_id=server.id))
        try:
            session.flush()
        except IntegrityError:  # switched on by a concurrent request: it is on, as asked
            session.rollback()
    elif not used and row is not None:
        session.delete(row)


def find(session: Session, server_id: int, *, gpt_id: str | None, instance_too: bool = False) -> McpServer:
    """The GPT's server (or the instance's when gpt_id is None, or when instance_too); NotFound otherwise."""
    server = session.get(McpServer, server_id)
    scopes = {gpt_id or INSTANCE} | ({INSTANCE} if instance_too else set())
    if server is None or server.scope not in scopes:
        raise NotFound(_("No such MCP server here."))
    return server


def servers(session: Session, *, gpt_id: str | None) -> list[McpServer]:
    """The GPT's own servers, then the instance-wide ones (all of them for the instance's page), oldest first."""
    scopes = [INSTANCE] if gpt_id is None else [gpt_id, INSTANCE]
    found = list(session.scalars(select(McpServer).where(McpServer.scope.in_(scopes)).order_by(McpServer.id)))
    return sorted(found, key=lambda server: server.scope == INSTANCE)


def tools_of(session: Session, server_ids: list[int]) -> dict[int, list[McpTool]]:
    found: dict[int, list[McpTool]] = {server_id: [] for server_id in server_ids}
    for tool in session.scalars(select(McpTool).where(McpTool.server_id.in_(server_ids)).order_by(McpTool.id)):
        found[tool.server_id].append(tool)
    return found


def used_by(session: Session, gpt_id: str) -> set[int]:
    return set(session.scalars(select(McpServerUse.server_id).where(McpServerUse.gpt_id == gpt_id)))


def reachable(source: Source, server: McpServer) -> Target:
    """How to reach a stored server now; InvalidInput when it cannot be (a token another secret key encrypted, a command removed)."""
    found = source.target(server)
    if found is None:
        if server.transport == "stdio":
            raise InvalidInput(_("This stdio server is no longer in the server's configuration (AGORA_MCP_STDIO_CONFIG)."), field="stdio")
        raise InvalidInput(_("The server's token cannot be read with this installation's secret key: remove the server and add it again."),
                           field="auth.token")
    return found
