"""MCP fixtures: a real MCP server (the SDK's, over streamable HTTP on loopback) and a builder's API client for a GPT."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from agora.mcp_servers import client, service, source
from tests.chat.conftest import make_gpt
from tests.conftest import SECRET
from tests.mcp_servers.mcp_server import McpTestServer

BUILDER = "ada@example.com"  # the browser fixture's user signs up with this address


@pytest.fixture(scope="session")
def mcp_test_server() -> Iterator[McpTestServer]:
    server = McpTestServer().start()
    yield server
    server.stop()


@pytest.fixture
def notebook(mcp_test_server: McpTestServer, server) -> Iterator[McpTestServer]:
    """The MCP server, reset, with loopback let through the outbound guard (AGORA_OUTBOUND_ALLOW_HOSTS), as an operator would."""
    mcp_test_server.reset()
    original = server.settings
    # Both: the settings the app reads now, and those other fixtures (the stand-in model's) copy from, whichever came first.
    server.settings = original.model_copy(update={"outbound_allow_hosts": "127.0.0.1"})
    server.app.state.settings = server.app.state.settings.model_copy(update={"outbound_allow_hosts": "127.0.0.1"})
    yield mcp_test_server
    server.settings = server.app.state.settings = original


class Builder:
    """A signed-in builder calling the MCP servers' API of one of their GPTs."""

    def __init__(self, browser, gpt_id: str) -> None:
        self.browser, self.gpt_id = browser, gpt_id
        self.headers = browser.api_headers()

    @property
    def base(self) -> str:
        return f"/api/gpts/{self.gpt_id}/mcp-servers"

    def add(self, url: str, **auth):
        body = {"url": url, **({"auth": auth} if auth else {})}
        return self.browser.post(self.base, json=body, headers=self.headers)

    def servers(self) -> list[dict]:
        response = self.browser.get(self.base)
        assert response.status_code == 200, response.text
        return response.json()

    def change(self, server_id: int, **body):
        return self.browser.patch(f"{self.base}/{server_id}", json=body, headers=self.headers)

    def refresh(self, server_id: int):
        return self.browser.post(f"{self.base}/{server_id}/refresh", headers=self.headers)

    def remove(self, server_id: int):
        return self.browser.delete(f"{self.base}/{server_id}", headers=self.headers)


@pytest.fixture
def builder(browser, database) -> Builder:
    browser.signup()
    return Builder(browser, make_gpt(database, owner_email=BUILDER))


def attach(database, gpt_id: str | None, url: str, *, enabled: list[str] | None = None) -> int:
    """The server added as its API adds it (listed, then saved); to the instance when gpt_id is None. Its id."""
    listed = asyncio.run(client.list_tools(source.SOURCE.remote(url, None)))
    with database.session() as session:
        new = service.NewServer(url=url, transport="http", auth="none", token=None)
        server = service.save(session, gpt_id=gpt_id, new=new, listed=listed, user_id=None, secret_key=SECRET)
        if enabled is not None:
            service.enable(session, server, enabled)
        return server.id
