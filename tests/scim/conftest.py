"""Fixtures for SCIM: a team with single sign-on and a verified domain, its token, and scim2-client talking to Agora over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient

from tests.chat.conftest import ChatClient
from tests.sso.conftest import idp, team_with_sso  # noqa: F401 (idp is a fixture)


@dataclass
class Provisioned:
    client: SyncSCIMClient  # as an identity provider calls Agora
    http: httpx2.Client  # the same, for raw requests
    owner: ChatClient
    team_id: int
    token: str


def make_token(owner: ChatClient, team_id: int, name: str = "Okta") -> str:
    page = owner.browser.submit(f"/workspaces/{team_id}/scim/tokens", {"name": name}, form_page=f"/workspaces/{team_id}/scim")
    assert page.status_code == 200, page.text
    return re.search(r'value="(agora-scim-[^"]+)" aria-label="New SCIM token"', page.text).group(1)


def scim_client(server, token: str) -> tuple[SyncSCIMClient, httpx2.Client]:
    http = httpx2.Client(base_url=f"{server.url}/scim/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    client.discover()  # what Agora publishes must describe a coherent service
    return client, http


@pytest.fixture
def provisioned(server, idp, make_browser, database) -> Iterator[Provisioned]:  # noqa: F811 (the idp fixture)
    owner, team_id = team_with_sso(make_browser, database, idp, seats=20)
    token = make_token(owner, team_id)
    client, http = scim_client(server, token)
    yield Provisioned(client, http, owner, team_id, token)
    http.close()
