"""A stdio MCP server for the tests, run as a command the operator configured: the SDK's MCPServer on stdin and stdout."""

from __future__ import annotations

import os

from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

server = MCPServer("Clock")


@server.tool(title="What time is it", annotations=ToolAnnotations(readOnlyHint=True))
def what_time(city: str) -> str:
    """The time in a city (always noon, in the tests)."""
    return f"It is noon in {city} ({os.environ.get('CLOCK_GREETING', 'no greeting')})."


if __name__ == "__main__":
    server.run("stdio")
