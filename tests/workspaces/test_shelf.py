"""The workspaces page shelves each workspace's shared GPTs: members see them, linked to their pages; nobody else does."""

from __future__ import annotations

import re

from agora.accounts import service as accounts
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from tests.workspaces.conftest import put_on_plan, signed_up


def _gpt(database, owner_email: str, workspace_id: int, name: str, *, visibility: str = "workspace", publish: bool = True) -> str:
    with database.session() as session:
        owner = accounts.user_by_email(session, owner_email)
        content = GptContent(name=name, description=f"{name} for the team", instructions="Help the team.")
        gpt = gpts.create_gpt(session, owner=owner, workspace_id=workspace_id, content=content, visibility=visibility)
        if publish:
            gpts.publish(session, gpt, author=owner)
        return gpt.id


def _team(client, name: str) -> int:
    made = client.browser.post("/api/workspaces", json={"name": name}, headers=client.headers)
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _shelf_links(html: str) -> list[str]:
    return re.findall(r'<li class="card">\s*<a href="/g/(g-[^"]+)"', html)


def test_members_see_their_workspaces_shared_gpts_and_others_do_not(no_trial, database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team_id = _team(owner, "Walrus Inc")
    put_on_plan(database, "owner@example.com", "team", seats=3)
    invite = owner.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": "bo@example.com"}, headers=owner.headers)
    bo, eve = signed_up(make_browser, "bo@example.com"), signed_up(make_browser, "eve@example.com")
    assert bo.browser.post(f"/api/invites/{invite.json()['url'].rsplit('/', 1)[1]}/accept", headers=bo.headers).status_code == 200
    other_team = _team(eve, "Eve Corp")

    handbook = _gpt(database, "owner@example.com", team_id, "Team Handbook")
    glossary = _gpt(database, "bo@example.com", team_id, "Acronym Glossary")
    _gpt(database, "owner@example.com", team_id, "Unpublished Draft", publish=False)
    _gpt(database, "owner@example.com", team_id, "Owner Private", visibility="private")
    _gpt(database, "owner@example.com", team_id, "Store Listed", visibility="public")
    elsewhere = _gpt(database, "eve@example.com", other_team, "Eve Secret Plans")

    for member in (owner, bo):
        page = member.browser.get("/workspaces")
        assert page.status_code == 200
        assert _shelf_links(page.text) == [glossary, handbook]  # by name; only shared, published ones
        assert "GPTs shared in Walrus Inc" in page.text and "Acronym Glossary for the team" in page.text
        assert "Owner Private" not in page.text and "Unpublished Draft" not in page.text and "Eve Secret Plans" not in page.text
        assert member.browser.get(f"/g/{handbook}").status_code == 200  # the shelf's link leads to the GPT

    outsider = eve.browser.get("/workspaces").text
    assert _shelf_links(outsider) == [elsewhere] and "Team Handbook" not in outsider


def test_an_empty_team_shelf_says_so_in_french_too(no_trial, database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    _team(owner, "Quiet Team")
    assert "No GPT is shared with this workspace yet." in owner.browser.get("/workspaces").text
    owner.browser.submit("/language", {"language": "fr", "next": "/workspaces"}, form_page="/workspaces")
    french = owner.browser.get("/workspaces").text
    assert "Aucun GPT n’est encore partagé dans cet espace de travail." in french and "GPT partagés dans Quiet Team" in french


def test_a_gpt_made_while_working_in_a_team_is_shared_with_it_from_the_editor(no_trial, database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team_id = _team(owner, "Walrus Inc")  # its creator now works in it
    put_on_plan(database, "owner@example.com", "team", seats=3)
    invite = owner.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": "bo@example.com"}, headers=owner.headers)
    bo = signed_up(make_browser, "bo@example.com")
    assert bo.browser.post(f"/api/invites/{invite.json()['url'].rsplit('/', 1)[1]}/accept", headers=bo.headers).status_code == 200

    editor = owner.browser.get("/gpts/new").text
    assert re.search(rf'<option value="{team_id}" selected>Walrus Inc</option>', editor)  # the workspace worked in, first choice
    made = owner.browser.submit("/gpts/new", {"name": "Team Handbook", "category": "writing", "visibility": "workspace",
                                              "workspace_id": str(team_id), "action": "publish"}, form_page="/gpts/new")
    assert made.status_code == 303, made.text
    handbook = made.headers["location"].split("/")[2]
    assert f"In the workspace Walrus Inc." in owner.browser.get(f"/gpts/{handbook}/edit").text
    assert _shelf_links(bo.browser.get("/workspaces").text) == [handbook]
    assert bo.browser.get(f"/g/{handbook}").status_code == 200

    personal = owner.browser.post("/api/gpts", json={"name": "Just Mine", "visibility": "workspace",
                                                     "workspace_id": _personal_id(database, "owner@example.com")},
                                  headers=owner.headers)
    assert personal.status_code == 201
    owner.browser.post(f"/api/gpts/{personal.json()['id']}/publish", json={}, headers=owner.headers)
    assert _shelf_links(bo.browser.get("/workspaces").text) == [handbook]  # the personal workspace shares with nobody else


def test_a_gpt_cannot_be_put_in_a_workspace_its_builder_is_not_in(no_trial, database, make_browser):
    eve = signed_up(make_browser, "eve@example.com")
    other = signed_up(make_browser, "bo@example.com")
    foreign = _team(other, "Bo Corp")
    refused = eve.browser.post("/api/gpts", json={"name": "Sneaky", "workspace_id": foreign}, headers=eve.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "workspace_id" and "not a member" in refused.json()["error"]["message"]
    page = eve.browser.submit("/gpts/new", {"name": "Sneaky", "category": "writing", "workspace_id": str(foreign)}, form_page="/gpts/new")
    assert page.status_code == 422 and 'id="workspace_id-error"' in page.text and "not a member" in page.text


def _personal_id(database, email: str) -> int:
    with database.session() as session:
        return accounts.personal_workspace_id(session, accounts.user_by_email(session, email))
