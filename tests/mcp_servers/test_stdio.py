"""Stdio MCP servers: only from the operator's file (AGORA_MCP_STDIO_CONFIG), connected by an administrator, run per call."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from agora.mcp_servers import source, stdio
from agora.mcp_servers.models import McpServer
from tests.chat.conftest import chat, make_gpt, standin_server, upstream  # noqa: F401  (the fixtures, for these tests)
from tests.conftest import SECRET
from tests.mcp_servers.conftest import Builder
from tests.providers.admin_helpers import make_admin

SCRIPT = Path(__file__).with_name("stdio_server.py")


@pytest.fixture
def clock_configured(server):
    """The clock server in the configuration, as create_app loads it from the file; put back as it was after."""
    before = server.app.state.mcp_stdio_servers
    server.app.state.mcp_stdio_servers = {"clock": stdio.Command(command=sys.executable, args=(str(SCRIPT),), env={"CLOCK_GREETING": "hello"})}
    yield
    server.app.state.mcp_stdio_servers = before


def test_an_admin_connects_a_configured_stdio_server_and_a_gpt_uses_it(clock_configured, database, make_browser, browser):
    admin = make_admin(database, make_browser)
    assert 'option>clock</option>' in admin.get("/admin/mcp").text
    added = admin.post("/api/admin/mcp-servers", json={"stdio": "clock"}, headers=admin.api_headers())
    assert added.status_code == 201, added.text
    server = added.json()
    assert (server["name"], server["url"], server["transport"]) == ("Clock", "stdio:clock", "stdio")
    assert [(t["name"], t["read_only"]) for t in server["tools"]] == [("what_time", True)]
    unknown = admin.post("/api/admin/mcp-servers", json={"stdio": "shell"}, headers=admin.api_headers())
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "stdio"

    browser.signup()
    builder = Builder(browser, make_gpt(database, owner_email="ada@example.com"))
    refused = builder.browser.post(builder.base, json={"stdio": "clock"}, headers=builder.headers)
    assert refused.status_code == 422 and "administrators" in refused.json()["error"]["message"]
    assert builder.change(server["id"], used=True).status_code == 200


def test_the_configuration_file(tmp_path):
    assert stdio.load(None) == {}
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {"clock": {"command": "python3", "args": ["clock.py"], "env": {"TZ": "UTC"}}}}))
    assert stdio.load(path) == {"clock": stdio.Command(command="python3", args=("clock.py",), env={"TZ": "UTC"})}
    for document, says in [
        ("not json", "is not JSON"),
        ({"servers": {}}, '"mcpServers"'),
        ({"mcpServers": {"bad name!": {"command": "x"}}}, "a name is"),
        ({"mcpServers": {"clock": {"args": []}}}, '"command"'),
        ({"mcpServers": {"clock": {"command": "x", "args": "--port 1"}}}, '"args"'),
        ({"mcpServers": {"clock": {"command": "x", "env": {"A": 1}}}}, '"env"'),
        ({"mcpServers": {"web": {"type": "http", "url": "https://example.com/mcp"}}}, '"command"'),
        ({"mcpServers": {"web": {"command": "x", "url": "https://example.com/mcp"}}}, "only stdio servers"),
    ]:
        path.write_text(document if isinstance(document, str) else json.dumps(document))
        with pytest.raises(stdio.ConfigError, match="AGORA_MCP_STDIO_CONFIG") as refused:
            stdio.load(path)
        assert says in str(refused.value), (document, str(refused.value))
    with pytest.raises(stdio.ConfigError, match="cannot read"):
        stdio.load(tmp_path / "missing.json")


def test_a_stdio_servers_tool_runs_in_a_chat(clock_configured, chat, upstream, database):
    from agora.mcp_servers import client, service

    listed = asyncio.run(client.list_tools(source.SOURCE.target(McpServer(transport="stdio", url="stdio:clock"))))
    gpt_id = make_gpt(database, owner_email="ada@example.com")
    with database.session() as session:
        new = service.NewServer(url="stdio:clock", transport="stdio", auth="none", token=None)
        server = service.save(session, gpt_id=None, new=new, listed=listed, user_id=None, secret_key=SECRET)
        service.use(session, gpt_id, server, True)
    upstream.tool_calls = [("what_time", '{"city": "Lisbon"}')]
    upstream.next("tool_calls", "ok")
    events = chat.send(chat.start(gpt_id), "What time is it in Lisbon?")
    tool = next(data for name, data in events if name == "tool")
    assert (tool["ok"], tool["summary"]) == (True, "It is noon in Lisbon (hello).")  # the configured env reached the command
    assert upstream.requests[1]["messages"][-1]["content"] == "It is noon in Lisbon (hello)."
