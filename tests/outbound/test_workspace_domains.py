"""A workspace's own domain list: set by its owner or admins (page and API), refused to members, read by the guard."""

from __future__ import annotations

import pytest

from agora import outbound
from agora.config import Settings
from agora.workspaces import service
from tests.outbound.servers import PUBLIC, Resolver
from tests.workspaces.conftest import put_on_plan, signed_up


def test_managers_set_the_list_members_cannot_and_the_guard_narrows_to_it(database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team_id = owner.browser.post("/api/workspaces", json={"name": "Careful"}, headers=owner.headers).json()["id"]
    settings_url = f"/api/workspaces/{team_id}/settings"

    bad = owner.browser.patch(settings_url, json={"outbound_domains": ["api.example.org", "http://x/y z"]}, headers=owner.headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "outbound_domains"
    with database.session() as session:
        assert service.outbound_domains(session, team_id) is None  # nothing half-written

    saved = owner.browser.patch(settings_url, json={"outbound_domains": ["https://API.example.org/", "*.example.net", "example.net"]},
                                headers=owner.headers)
    assert saved.status_code == 204
    roster = owner.browser.get(f"/api/workspaces/{team_id}/members", headers=owner.headers).json()
    assert roster["outbound_domains"] == ["api.example.org", "example.net"] and roster["allow_store_gpts"] is True
    with database.session() as session:
        domains = service.outbound_domains(session, team_id)
    assert domains == ("api.example.org", "example.net")
    resolver = Resolver({"api.example.org": [PUBLIC], "www.example.net": [PUBLIC], "example.com": [PUBLIC]})
    assert outbound.check_url("https://www.example.net/", Settings(_env_file=None), workspace_domains=domains, resolver=resolver)
    with pytest.raises(outbound.Refused) as refused:
        outbound.check_url("https://example.com/", Settings(_env_file=None), workspace_domains=domains, resolver=resolver)
    assert refused.value.code == "workspace_domain"

    put_on_plan(database, "owner@example.com", "team", seats=2)
    token = owner.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": "bo@example.com"}, headers=owner.headers).json()["url"]
    bo = signed_up(make_browser, "bo@example.com")
    assert bo.browser.post(f"/api/invites/{token.rsplit('/', 1)[1]}/accept", headers=bo.headers).status_code == 200
    assert bo.browser.patch(settings_url, json={"outbound_domains": []}, headers=bo.headers).status_code == 403

    assert owner.browser.patch(settings_url, json={"outbound_domains": []}, headers=owner.headers).status_code == 204
    with database.session() as session:
        assert service.outbound_domains(session, team_id) is None
        assert service.outbound_domains(session, None) is None


def test_the_team_page_shows_and_saves_the_list(database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team_id = owner.browser.post("/api/workspaces", json={"name": "Careful"}, headers=owner.headers).json()["id"]
    page = f"/workspaces/{team_id}"
    saved = owner.browser.submit(f"{page}/settings", {"allow_store_gpts": "on", "outbound_domains": "api.example.org\nexample.net, data.gouv.fr"},
                                 form_page=page)
    assert saved.status_code == 303
    text = owner.browser.get(page).text
    assert "Domains the team" in text and "api.example.org\nexample.net\ndata.gouv.fr</textarea>" in text
    refused = owner.browser.submit(f"{page}/settings", {"allow_store_gpts": "on", "outbound_domains": "not a domain"}, form_page=page)
    assert refused.status_code == 422 and "not a domain name like example.com" in refused.text
    with database.session() as session:
        assert service.outbound_domains(session, team_id) == ("api.example.org", "example.net", "data.gouv.fr")
