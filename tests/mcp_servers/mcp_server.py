"""A real MCP server for the tests: the official SDK's MCPServer over streamable HTTP, served by uvicorn on loopback in a thread.

Its tools keep a notebook: `search_notes` declares readOnlyHint (runs without asking),
`add_note` declares nothing (consequential), `erase_notes` declares readOnlyHint false and
destructiveHint, `broken` always fails as a tool (isError). With `token` set, every request
without `Authorization: Bearer <token>` is refused with 401, as a protected server does.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations


class McpTestServer:
    def __init__(self, *, name: str = "Notebook") -> None:
        self.notes: list[str] = []
        self.calls: list[tuple[str, dict]] = []  # every tool call the server answered, in order
        self.authorizations: list[str] = []  # each request's Authorization header
        self.token: str | None = None
        self.mcp = MCPServer(name)
        self._add_tools()
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self._guarded(self.mcp.streamable_http_app()), log_level="warning", lifespan="on"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def reset(self) -> None:
        self.notes.clear()
        self.calls.clear()
        self.authorizations.clear()
        self.token = None
        for tool in self.mcp._tool_manager.list_tools():  # a test may have added or removed some
            self.mcp.remove_tool(tool.name)
        self._add_tools()

    def _add_tools(self) -> None:
        @self.mcp.tool(title="Search notes", annotations=ToolAnnotations(readOnlyHint=True))
        def search_notes(query: str) -> str:
            """Finds the notes containing the query."""
            self.calls.append(("search_notes", {"query": query}))
            found = [note for note in self.notes if query.lower() in note.lower()]
            return "\n".join(found) if found else f"No note mentions {query}."

        @self.mcp.tool(title="Add a note")
        def add_note(text: str) -> str:
            """Adds a note to the notebook."""
            self.calls.append(("add_note", {"text": text}))
            self.notes.append(text)
            return f"Added note {len(self.notes)}: {text}"

        @self.mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True))
        def erase_notes() -> str:
            """Erases every note."""
            self.calls.append(("erase_notes", {}))
            self.notes.clear()
            return "Erased."

        @self.mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))
        def broken() -> str:
            """Always fails."""
            self.calls.append(("broken", {}))
            raise ToolError("the notebook is on fire")

    def _guarded(self, app):
        async def guarded(scope, receive, send):
            if scope["type"] == "http":
                authorization = dict(scope["headers"]).get(b"authorization", b"").decode()
                self.authorizations.append(authorization)
                if self.token is not None and authorization != f"Bearer {self.token}":
                    await send({"type": "http.response.start", "status": 401,
                                "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b'Bearer error="invalid_token"')]})
                    await send({"type": "http.response.body", "body": b'{"error": "invalid_token"}'})
                    return
            await app(scope, receive, send)
        return guarded

    def start(self) -> McpTestServer:
        threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True, name="mcp-test-server").start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the MCP test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
