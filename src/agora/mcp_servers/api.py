"""The MCP servers' JSON API: a GPT's servers (its editors) and the instance-wide ones (administrators); the editor and the admin page call it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import anyio.from_thread
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.db import Database, begin_writing
from agora.errors import Forbidden, InvalidInput
from agora.gpts import access
from agora.i18n import gettext as _
from agora.inputs import Id, Text
from agora.mcp_servers import client, service, source
from agora.mcp_servers.models import INSTANCE, McpServer, McpTool
from agora.web.deps import CurrentUser, Db
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api", tags=["mcp"], route_class=JsonRoute)


class AuthIn(BaseModel):
    type: Literal["none", "bearer", "oauth"] = Field("none", description="none, or bearer (a token sent as `Authorization: Bearer`)")
    token: Text | None = Field(None, max_length=service.MAX_TOKEN, description="the bearer token; stored encrypted, never shown again")


class ServerIn(BaseModel):
    url: Text | None = Field(None, max_length=service.MAX_URL, description="the server's streamable HTTP endpoint, e.g. https://example.com/mcp")
    stdio: Text | None = Field(None, max_length=60, description="instance-wide only: the name of a stdio server in AGORA_MCP_STDIO_CONFIG")
    auth: AuthIn = Field(default_factory=AuthIn)


class ServerChange(BaseModel):
    enabled_tools: list[Text] | None = Field(None, max_length=client.MAX_TOOLS, description="the server's tools to offer, by name; the others are off")
    used: bool | None = Field(None, description="in a GPT's list, for an instance-wide server: whether this GPT uses it")


class ToolOut(BaseModel):
    name: str
    title: str
    description: str
    read_only: bool = Field(description="the server declared readOnlyHint: true; it runs without asking")
    consequential: bool = Field(description="the person is asked before each call")
    enabled: bool


class ServerOut(BaseModel):
    id: int
    name: str
    url: str = Field(description='the endpoint, or "stdio:<name>" for a command of the server\'s configuration')
    scope: Literal["gpt", "instance"]
    transport: Literal["http", "stdio"]
    auth: str
    used: bool = Field(description="whether the GPT uses it (always true for a GPT's own server)")
    refreshed_at: datetime
    last_error: str = Field(description="why the last refresh failed; empty when it worked")
    tools: list[ToolOut]


def _view(server: McpServer, tools: list[McpTool], used: bool) -> ServerOut:
    return ServerOut(id=server.id, name=server.name, url=server.url, scope="instance" if server.scope == INSTANCE else "gpt",
                     transport="stdio" if server.transport == "stdio" else "http", auth=server.auth, used=used,
                     refreshed_at=server.refreshed_at, last_error=server.last_error,
                     tools=[ToolOut(name=t.name, title=t.title, description=t.description, read_only=t.read_only, consequential=not t.read_only,
                                    enabled=t.enabled) for t in tools])


def _views(session: Session, servers: list[McpServer], gpt_id: str | None) -> list[ServerOut]:
    tools = service.tools_of(session, [server.id for server in servers])
    used = service.used_by(session, gpt_id) if gpt_id else set()
    return [_view(server, tools[server.id], server.scope != INSTANCE or gpt_id is None or server.id in used) for server in servers]


def _admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden(_("Instance-wide MCP servers are managed by administrators."))


def _list(target: client.Target) -> client.Listed:
    """The server's tools, from this worker thread (the listing runs on the event loop); InvalidInput saying why it failed."""
    try:
        return anyio.from_thread.run(client.list_tools, target)
    except client.McpFailure as failure:
        raise InvalidInput(str(failure), field="auth.token" if isinstance(failure, client.Unreachable) and failure.auth else "url") from None


def _editable(session: Session, gpt_id: str | None, user: User) -> str | None:
    """The GPT's id once the user may edit it; None (the instance) once the user is an administrator."""
    if gpt_id is None:
        _admin(user)
        return None
    return access.find(session, gpt_id, user, "edit").id


def _add(db: Database, request: Request, user: User, gpt_id: str | None, body: ServerIn) -> ServerOut:
    stdio_servers = source.SOURCE.stdio_servers
    new = service.checked(url=body.url, stdio_name=body.stdio, auth=body.auth.type, token=body.auth.token, instance=gpt_id is None,
                          stdio_servers=stdio_servers)
    with db.session() as session:
        scope_id = _editable(session, gpt_id, user)
        service.refuse_duplicate(session, scope_id or INSTANCE, new.url)  # before reaching the server
    listed = _list(service.target(source.SOURCE, new))
    with db.session() as session:
        begin_writing(session)
        scope_id = _editable(session, gpt_id, user)
        server = service.save(session, gpt_id=scope_id, new=new, listed=listed, user_id=user.id, secret_key=request.app.state.secret_key)
        return _views(session, [server], scope_id)[0]


def _refresh(db: Database, user: User, gpt_id: str | None, server_id: int) -> ServerOut:
    with db.session() as session:
        scope_id = _editable(session, gpt_id, user)
        target = service.reachable(source.SOURCE, service.find(session, server_id, gpt_id=scope_id))
    try:
        listed = _list(target)
    except InvalidInput as failure:
        with db.session() as session:  # kept, so the editor shows why the server's tools may be stale
            begin_writing(session)
            service.failed(service.find(session, server_id, gpt_id=scope_id), failure.message)
        raise
    with db.session() as session:
        begin_writing(session)
        server = service.find(session, server_id, gpt_id=_editable(session, gpt_id, user))
        service.relisted(session, server, listed)
        return _views(session, [server], scope_id)[0]


def _change(db: Database, user: User, gpt_id: str | None, server_id: int, change: ServerChange) -> ServerOut:
    with db.session() as session:
        begin_writing(session)
        scope_id = _editable(session, gpt_id, user)
        server = service.find(session, server_id, gpt_id=scope_id, instance_too=True)
        if change.used is not None:
            if server.scope != INSTANCE or scope_id is None:
                raise InvalidInput(_("Only an instance-wide server is switched on or off for a GPT: remove the GPT's own server instead."),
                                   field="used")
            service.use(session, scope_id, server, change.used)
        if change.enabled_tools is not None:
            if server.scope == INSTANCE and scope_id is not None:
                raise Forbidden(_("The tools of an instance-wide server are chosen by administrators."))
            service.enable(session, server, list(change.enabled_tools))
        session.flush()
        return _views(session, [server], scope_id)[0]


def _remove(db: Database, user: User, gpt_id: str | None, server_id: int) -> Response:
    with db.session() as session:
        begin_writing(session)
        session.delete(service.find(session, server_id, gpt_id=_editable(session, gpt_id, user)))
    return Response(status_code=204)


@router.get("/gpts/{gpt_id}/mcp-servers", response_model=list[ServerOut])
def gpt_servers(gpt_id: Text, user: CurrentUser, db: Db) -> Any:
    """The GPT's MCP servers, then the instance-wide ones (with `used`: whether this GPT uses each); editors only."""
    with db.session() as session:
        scope_id = _editable(session, gpt_id, user)
        return _views(session, service.servers(session, gpt_id=scope_id), scope_id)


@router.post("/gpts/{gpt_id}/mcp-servers", status_code=201, response_model=ServerOut)
def add_gpt_server(gpt_id: Text, body: ServerIn, request: Request, user: CurrentUser, db: Db) -> Any:
    """Add a remote MCP server (streamable HTTP) to the GPT: Agora connects, lists its tools and enables them all.
    A server it cannot reach or that does not speak MCP is a 422 saying why (`field`: url, or auth.token when it refused the token)."""
    return _add(db, request, user, gpt_id, body)


@router.post("/gpts/{gpt_id}/mcp-servers/{server_id}/refresh", response_model=ServerOut)
def refresh_gpt_server(gpt_id: Text, server_id: Id, user: CurrentUser, db: Db) -> Any:
    """List the server's tools again: changed ones updated, gone ones dropped, new ones added switched off."""
    return _refresh(db, user, gpt_id, server_id)


@router.patch("/gpts/{gpt_id}/mcp-servers/{server_id}", response_model=ServerOut)
def change_gpt_server(gpt_id: Text, server_id: Id, change: ServerChange, user: CurrentUser, db: Db) -> Any:
    """Choose the GPT's server's enabled tools, or switch an instance-wide server on or off for this GPT."""
    return _change(db, user, gpt_id, server_id, change)


@router.delete("/gpts/{gpt_id}/mcp-servers/{server_id}", status_code=204)
def remove_gpt_server(gpt_id: Text, server_id: Id, user: CurrentUser, db: Db) -> Response:
    """Remove the GPT's server and its tools (its token with it)."""
    return _remove(db, user, gpt_id, server_id)


@router.get("/admin/mcp-servers", response_model=list[ServerOut])
def instance_servers(user: CurrentUser, db: Db) -> Any:
    """The instance-wide MCP servers (administrators)."""
    with db.session() as session:
        _admin(user)
        return _views(session, service.servers(session, gpt_id=None), None)


@router.post("/admin/mcp-servers", status_code=201, response_model=ServerOut)
def add_instance_server(body: ServerIn, request: Request, user: CurrentUser, db: Db) -> Any:
    """Add an instance-wide server: a streamable HTTP `url`, or a `stdio` server of AGORA_MCP_STDIO_CONFIG by name.
    Builders then switch it on for their GPTs."""
    return _add(db, request, user, None, body)


@router.post("/admin/mcp-servers/{server_id}/refresh", response_model=ServerOut)
def refresh_instance_server(server_id: Id, user: CurrentUser, db: Db) -> Any:
    """List the instance-wide server's tools again (new ones switched off)."""
    return _refresh(db, user, None, server_id)


@router.patch("/admin/mcp-servers/{server_id}", response_model=ServerOut)
def change_instance_server(server_id: Id, change: ServerChange, user: CurrentUser, db: Db) -> Any:
    """Choose which of the instance-wide server's tools GPTs that use it get."""
    return _change(db, user, None, server_id, change)


@router.delete("/admin/mcp-servers/{server_id}", status_code=204)
def remove_instance_server(server_id: Id, user: CurrentUser, db: Db) -> Response:
    """Remove the instance-wide server: every GPT that used it loses its tools."""
    return _remove(db, user, None, server_id)
