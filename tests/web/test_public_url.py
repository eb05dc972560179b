"""Absolute links use the configured public address, never the request's Host header.

Regression (issue 15, item 10): with `Host: evil.example`, invite and share links pointed
to evil.example, and invitations went out by email with them.
"""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import make_key
from tests.billing.conftest import put_on_plan, signed_up, stripe_api  # noqa: F401 (fixture)
from tests.chat.conftest import make_gpt, standin_server, upstream  # noqa: F401 (fixtures)

EVIL = {"Host": "evil.example"}


@pytest.fixture
def public_url(server):
    """The server told its public address, as an operator behind a proxy does."""
    before = server.app.state.settings
    server.app.state.settings = before.model_copy(update={"public_url": "https://agora.example.com/store/"})
    yield "https://agora.example.com/store"
    server.app.state.settings = before


def links_to(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<]+", text)


def test_invite_share_and_key_page_links_ignore_the_host_header(server, database, make_browser, upstream):
    owner = signed_up(make_browser, "owner@example.com")
    team = owner.browser.post("/api/workspaces", json={"name": "Walrus Inc"}, headers=owner.headers).json()["id"]
    put_on_plan(database, "owner@example.com", "team", seats=3)
    invite = owner.browser.post(f"/api/workspaces/{team}/invites", json={"email": "bo@example.com"}, headers={**owner.headers, **EVIL})
    assert invite.status_code == 201 and invite.json()["url"].startswith(f"{server.url}/invites/"), invite.text
    page = owner.browser.submit(f"/workspaces/{team}/invites", {"email": "cy@example.com"}, form_page=f"/workspaces/{team}")
    assert [link for link in links_to(page.text) if "/invites/" in link][0].startswith(f"{server.url}/invites/")

    conversation = owner.start(make_gpt(database))
    owner.send(conversation, "hello")
    shared = owner.browser.post(f"/api/conversations/{conversation}/share", headers={**owner.headers, **EVIL})
    assert shared.json()["url"].startswith(f"{server.url}/s/"), shared.json()

    keys_page = owner.browser.get("/account/api-keys", headers=EVIL).text
    assert f"{server.url}/v1" in keys_page and "evil.example" not in keys_page


def test_v1_upgrade_links_ignore_the_host_header(server, database, upstream):
    import httpx

    key = make_key(database, "free@example.com", plan=None)
    refused = httpx.post(f"{server.url}/v1/chat/completions", headers={"Authorization": f"Bearer {key}", **EVIL},
                         json={"model": "standin", "messages": [{"role": "user", "content": "Hi"}]})
    assert refused.status_code == 403
    assert f"{server.url}/pricing" in refused.json()["error"]["message"] and "evil.example" not in refused.text


def test_stripe_return_addresses_ignore_the_host_header(stripe_api, server, browser):
    browser.signup()
    chosen = browser.post("/api/subscription", json={"plan": "plus"}, headers={**browser.api_headers(), **EVIL})
    assert chosen.status_code == 200, chosen.text
    path, form = stripe_api.requests[-1]
    assert path == "/v1/checkout/sessions"
    assert form["success_url"] == f"{server.url}/usage" and form["cancel_url"] == f"{server.url}/pricing", form


def test_a_configured_public_url_is_used_for_every_link(public_url, server, database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team = owner.browser.post("/api/workspaces", json={"name": "Walrus Inc"}, headers=owner.headers).json()["id"]
    put_on_plan(database, "owner@example.com", "team", seats=3)
    invite = owner.browser.post(f"/api/workspaces/{team}/invites", json={"email": "bo@example.com"}, headers=owner.headers)
    assert invite.json()["url"].startswith(f"{public_url}/invites/")
    assert f"{public_url}/v1" in owner.browser.get("/account/api-keys").text


def test_redirects_the_framework_makes_do_not_name_the_host_header(server):
    import httpx

    for path in ("/pricing/", "/static"):  # a trailing slash too many, a folder without one
        response = httpx.get(f"{server.url}{path}", headers=EVIL)
        assert response.status_code == 307 and "evil.example" not in response.headers["location"], response.headers
        assert response.headers["location"] in ("/pricing", "/static/")
