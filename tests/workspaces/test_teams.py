"""Team workspaces: a team of 3 shares a workspace GPT; invites, seats, roles and the store switch."""

from __future__ import annotations

from agora.accounts import service as accounts
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from tests.workspaces.conftest import make_gpt, put_on_plan, send_status, signed_up


def assert_shared_with_members(database, gpt_id: str, *, members: tuple[str, ...], outsider: str) -> None:
    """The builder's one visibility rule (gpts.access) sees team memberships: members may use it, others not."""
    from agora.gpts import access
    from agora.gpts.models import Gpt

    with database.session() as session:
        gpt = session.get(Gpt, gpt_id)
        for email in members:
            assert access.can(session, gpt, accounts.user_by_email(session, email), "use"), email
        assert not access.can(session, gpt, accounts.user_by_email(session, outsider), "use")


def _team_gpt(database, owner_email: str, workspace_id: int) -> str:
    with database.session() as session:
        owner = accounts.user_by_email(session, owner_email)
        content = GptContent(name="Team Handbook", description="Our handbook", instructions="Answer about the team.", welcome_message="Hi team")
        gpt = gpts.create_gpt(session, owner=owner, workspace_id=workspace_id, content=content, visibility="workspace")
        gpts.publish(session, gpt, author=owner)
        return gpt.id


def test_a_team_of_three_shares_a_workspace_gpt(no_trial, database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    made = owner.browser.post("/api/workspaces", json={"name": "Walrus Inc"}, headers=owner.headers)
    assert made.status_code == 201
    team_id = made.json()["id"]
    refused = owner.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": "bo@example.com"}, headers=owner.headers)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "no_seat_left" and "/pricing" in refused.json()["error"]["message"]
    put_on_plan(database, "owner@example.com", "team", seats=3)

    links = {}
    for email in ("bo@example.com", "cy@example.com"):
        answer = owner.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": email}, headers=owner.headers)
        assert answer.status_code == 201, answer.text
        links[email] = answer.json()["url"].rsplit("/", 1)[1]
    fourth = owner.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": "dee@example.com"}, headers=owner.headers)
    assert fourth.status_code == 422  # three seats: the owner and two pending invites

    bo, cy, eve = signed_up(make_browser, "bo@example.com"), signed_up(make_browser, "cy@example.com"), signed_up(make_browser, "eve@example.com")
    assert eve.browser.post(f"/api/invites/{links['bo@example.com']}/accept", headers=eve.headers).status_code == 403
    for client, email in ((bo, "bo@example.com"), (cy, "cy@example.com")):
        joined = client.browser.post(f"/api/invites/{links[email]}/accept", headers=client.headers)
        assert joined.status_code == 200 and joined.json()["active"] is True
    assert bo.browser.post(f"/api/invites/{links['bo@example.com']}/accept", headers=bo.headers).status_code == 404  # used once

    gpt_id = _team_gpt(database, "owner@example.com", team_id)
    status, events = send_status(owner, owner.start(gpt_id))
    assert status == 200 and events[-1][1]["status"] == "complete"
    assert eve.browser.post("/api/conversations", json={"gpt_id": gpt_id}, headers=eve.headers).status_code == 404
    assert_shared_with_members(database, gpt_id, members=("owner@example.com", "bo@example.com", "cy@example.com"), outsider="eve@example.com")
    assert bo.browser.get("/api/usage").json()["plan"] == "team"

    # Members are not managers; the owner can make one an admin; the last owner cannot leave.
    assert bo.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": "x@example.com"}, headers=bo.headers).status_code == 403
    with database.session() as session:
        owner_id = accounts.user_by_email(session, "owner@example.com").id
        bo_id = accounts.user_by_email(session, "bo@example.com").id
    assert owner.browser.patch(f"/api/workspaces/{team_id}/members/{bo_id}", json={"role": "admin"}, headers=owner.headers).status_code == 204
    assert owner.browser.delete(f"/api/workspaces/{team_id}/members/{owner_id}", headers=owner.headers).status_code == 409
    page = bo.browser.get("/workspaces")
    assert "Walrus Inc" in page.text and "Work here" in page.text


def test_team_admins_can_block_store_gpts_by_other_builders(no_trial, database, make_browser):
    store_gpt = make_gpt(database)  # public, by builder@example.com
    owner = signed_up(make_browser, "owner@example.com")
    team_id = owner.browser.post("/api/workspaces", json={"name": "Strict"}, headers=owner.headers).json()["id"]
    put_on_plan(database, "owner@example.com", "team", seats=2)
    conversation = owner.start(store_gpt)
    assert send_status(owner, conversation)[0] == 200
    assert owner.browser.patch(f"/api/workspaces/{team_id}/settings", json={"allow_store_gpts": False}, headers=owner.headers).status_code == 204
    status, body = send_status(owner, conversation, "again")
    assert status == 403 and "turned off GPTs from the store" in body["error"]["message"]
    with database.session() as session:
        personal = accounts.personal_workspace_id(session, accounts.user_by_email(session, "owner@example.com"))
    owner.browser.post(f"/api/workspaces/{personal}/switch", headers=owner.headers)
    status, body = send_status(owner, conversation, "from my personal workspace")
    assert status == 403 and body["error"]["code"] == "plan_required"  # personal is on Free
    assert owner.browser.post("/api/workspaces/99999/switch", headers=owner.headers).status_code == 404


def test_downgrade_below_seats_in_use_is_refused(no_trial, database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team_id = owner.browser.post("/api/workspaces", json={"name": "Crowd"}, headers=owner.headers).json()["id"]
    put_on_plan(database, "owner@example.com", "team", seats=3)
    for email in ("a1@example.com", "a2@example.com"):
        token = owner.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": email}, headers=owner.headers).json()["url"].rsplit("/", 1)[1]
        member = signed_up(make_browser, email)
        assert member.browser.post(f"/api/invites/{token}/accept", headers=member.headers).status_code == 200
    refused = owner.browser.post("/api/subscription", json={"plan": "team", "seats": 2}, headers=owner.headers)
    assert refused.status_code == 422 and "remove members" in refused.json()["error"]["message"]
