"""The MCP servers' API against a real MCP server on loopback: adding one lists its tools with their read-only marks,
bearer tokens are sent and stored encrypted, failures say why, tools are chosen and refreshed, instance-wide servers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agora.mcp_servers.models import McpServer, McpTool
from tests.chat.conftest import make_gpt
from tests.conftest import free_port
from tests.mcp_servers.conftest import Builder
from tests.providers.admin_helpers import make_admin

TOOLS = ["search_notes", "add_note", "erase_notes", "broken"]


def test_adding_a_server_lists_its_tools_read_only_or_consequential(builder, notebook):
    response = builder.add(notebook.url)
    assert response.status_code == 201, response.text
    server = response.json()
    assert (server["name"], server["url"], server["scope"], server["transport"], server["auth"]) == ("Notebook", notebook.url, "gpt", "http", "none")
    assert server["last_error"] == "" and server["used"] is True
    tools = {tool["name"]: tool for tool in server["tools"]}
    assert list(tools) == TOOLS
    assert tools["search_notes"] == {"name": "search_notes", "title": "Search notes", "description": "Finds the notes containing the query.",
                                     "read_only": True, "consequential": False, "enabled": True}
    assert [name for name, tool in tools.items() if tool["consequential"]] == ["add_note", "erase_notes"]  # no hint, and readOnlyHint false
    assert all(tool["enabled"] for tool in tools.values())
    assert builder.servers() == [server]


def test_the_same_server_twice_is_a_conflict_and_reaches_nobody(builder, notebook):
    assert builder.add(notebook.url).status_code == 201
    requests = len(notebook.authorizations)
    again = builder.add(notebook.url)
    assert again.status_code == 409 and again.json()["error"]["field"] == "url"
    assert len(notebook.authorizations) == requests  # refused before connecting
    assert len(builder.servers()) == 1


@pytest.mark.parametrize(("url", "says"), [
    ("http://127.0.0.1:{closed}/mcp", "could not connect to 127.0.0.1:{closed}"),
    ("{notebook}/missing", "Nothing answers at {notebook}/missing (HTTP 404)"),
    ("{agora}/", "answered with HTTP 405 instead of speaking MCP"),
], ids=["closed-port", "wrong-path", "not-mcp"])
def test_a_server_that_cannot_be_reached_is_refused_saying_why(builder, notebook, server, url, says):
    closed = free_port()
    values = {"closed": closed, "notebook": notebook.url, "agora": server.url}
    response = builder.add(url.format(**values))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "url" and says.format(**values) in error["message"], error
    assert builder.servers() == []


def test_a_bearer_token_is_sent_and_stored_encrypted(builder, notebook, database):
    notebook.token = "s3cret-token-for-notes"
    refused = builder.add(notebook.url)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "auth.token"
    assert "refused Agora (HTTP 401)" in refused.json()["error"]["message"]
    wrong = builder.add(notebook.url, type="bearer", token="not-the-token")
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "auth.token"

    added = builder.add(notebook.url, type="bearer", token="s3cret-token-for-notes")
    assert added.status_code == 201, added.text
    assert added.json()["auth"] == "bearer" and "token" not in added.text
    assert notebook.authorizations[-1] == "Bearer s3cret-token-for-notes"
    with database.session() as session:
        row = session.scalars(select(McpServer)).one()
        assert row.secret_encrypted and "s3cret" not in row.secret_encrypted
    assert builder.refresh(added.json()["id"]).status_code == 200  # the stored token, decrypted, works again


def test_the_outbound_guard_refuses_a_private_server_unless_the_operator_allows_it(builder, notebook, server):
    allowed = server.app.state.settings
    server.app.state.settings = allowed.model_copy(update={"outbound_allow_hosts": "", "outbound_ports": "*"})  # the address is the rule at stake
    try:
        refused = builder.add(notebook.url)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "url"
        assert "127.0.0.1 is a loopback address" in refused.json()["error"]["message"], refused.text
        assert notebook.authorizations == []  # nothing reached it
        for url in ("http://[::ffff:127.0.0.1]:{port}/mcp", "http://2130706433:{port}/mcp", "http://localhost:{port}/mcp"):
            response = builder.add(url.format(port=notebook.port))
            assert response.status_code == 422 and "Agora does not connect to" in response.json()["error"]["message"], response.text
        assert notebook.authorizations == []
    finally:
        server.app.state.settings = allowed
    assert builder.add(notebook.url).status_code == 201


@pytest.mark.parametrize(("body", "field"), [
    ({}, "url"),
    ({"url": "ftp://example.com/mcp"}, "url"),
    ({"url": "https://user:pw@example.com/mcp"}, "url"),
    ({"url": "https://example.com/mcp#top"}, "url"),
    ({"url": "https://example.com/mcp", "auth": {"type": "bearer"}}, "auth.token"),
    ({"url": "https://example.com/mcp", "auth": {"type": "bearer", "token": "two words"}}, "auth.token"),
    ({"url": "https://example.com/mcp", "auth": {"type": "none", "token": "abc"}}, "auth.token"),
    ({"url": "https://example.com/mcp", "auth": {"type": "oauth"}}, "auth.type"),
    ({"stdio": "files"}, "stdio"),
])
def test_bad_input_names_the_field(builder, body, field):
    response = builder.browser.post(builder.base, json=body, headers=builder.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert builder.servers() == []


def test_choosing_the_enabled_tools(builder, notebook):
    server_id = builder.add(notebook.url).json()["id"]
    changed = builder.change(server_id, enabled_tools=["search_notes", "add_note"])
    assert changed.status_code == 200, changed.text
    assert {t["name"]: t["enabled"] for t in changed.json()["tools"]} == {"search_notes": True, "add_note": True, "erase_notes": False, "broken": False}
    unknown = builder.change(server_id, enabled_tools=["search_notes", "launch_rockets"])
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "enabled_tools[1]"
    assert [t["enabled"] for t in builder.servers()[0]["tools"]] == [True, True, False, False]  # unchanged by the refusal
    assert builder.change(server_id, used=False).json()["error"]["field"] == "used"


def test_a_refresh_adds_new_tools_switched_off_and_drops_gone_ones(builder, notebook):
    server_id = builder.add(notebook.url).json()["id"]
    builder.change(server_id, enabled_tools=["search_notes"])

    @notebook.mcp.tool()
    def count_notes() -> str:
        """Counts the notes."""
        return str(len(notebook.notes))

    notebook.mcp.remove_tool("broken")
    refreshed = builder.refresh(server_id)
    assert refreshed.status_code == 200, refreshed.text
    assert {t["name"]: t["enabled"] for t in refreshed.json()["tools"]} == {
        "search_notes": True, "add_note": False, "erase_notes": False, "count_notes": False}


def test_a_failed_refresh_is_kept_and_shown(builder, notebook, database):
    server_id = builder.add(notebook.url).json()["id"]
    notebook.token = "now-protected"
    failed = builder.refresh(server_id)
    assert failed.status_code == 422 and failed.json()["error"]["field"] == "auth.token"
    [server] = builder.servers()
    assert "HTTP 401" in server["last_error"] and len(server["tools"]) == 4  # the tools stay as they were
    notebook.token = None
    assert builder.refresh(server_id).json()["last_error"] == ""


def test_someone_elses_gpt_and_strangers(builder, notebook, make_browser, database):
    server_id = builder.add(notebook.url).json()["id"]
    other = make_browser()
    other.signup(email="eve@example.com")
    headers = other.api_headers()
    assert other.get(builder.base).status_code == 403  # a public GPT: seen by all, edited by its builder
    assert other.post(builder.base, json={"url": notebook.url}, headers=headers).status_code == 403
    assert other.delete(f"{builder.base}/{server_id}", headers=headers).status_code == 403
    assert make_browser().get(builder.base).status_code == 401
    eves = Builder(other, make_gpt(database, owner_email="eve@example.com", name="Eve's"))
    assert eves.change(server_id, enabled_tools=[]).status_code == 404  # a server of another GPT is not found through this one
    assert builder.remove(server_id).status_code == 204
    assert builder.servers() == []
    with database.session() as session:
        assert session.scalars(select(McpTool)).all() == []


def test_instance_wide_servers_are_managed_by_admins_and_switched_on_per_gpt(builder, notebook, database, make_browser):
    body = {"url": notebook.url}
    assert builder.browser.post("/api/admin/mcp-servers", json=body, headers=builder.headers).status_code == 403
    assert builder.browser.get("/admin/mcp").status_code == 403
    admin = make_admin(database, make_browser)
    added = admin.post("/api/admin/mcp-servers", json=body, headers=admin.api_headers())
    assert added.status_code == 201, added.text
    server_id = added.json()["id"]
    assert added.json()["scope"] == "instance"
    assert "MCP servers" in admin.get("/admin/mcp").text

    [seen] = builder.servers()
    assert (seen["id"], seen["scope"], seen["used"]) == (server_id, "instance", False)
    assert builder.change(server_id, used=True).json()["used"] is True
    assert builder.change(server_id, used=True).json()["used"] is True  # twice is once
    assert builder.change(server_id, enabled_tools=["add_note"]).status_code == 403
    assert builder.remove(server_id).status_code == 404  # only administrators remove it
    assert builder.refresh(server_id).status_code == 404
    assert builder.change(server_id, used=False).json()["used"] is False
