"""A team's page: members and roles, invitations emailed through a real SMTP server, seats and settings."""

from __future__ import annotations

import re
import socket

from agora.workspaces.models import TeamSettings
from tests.workspaces.conftest import put_on_plan, signed_up


def _team(owner, name: str = "Walrus Inc") -> int:
    return owner.browser.post("/api/workspaces", json={"name": name}, headers=owner.headers).json()["id"]


def _invite(client, team_id: int, email: str, role: str = "member"):
    return client.browser.submit(f"/workspaces/{team_id}/invites", {"email": email, "role": role}, form_page=f"/workspaces/{team_id}")


def test_an_owner_invites_by_email_and_the_invitee_joins_with_the_emailed_link(smtp, database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team_id = _team(owner)
    put_on_plan(database, "owner@example.com", "team", seats=3)
    assert f'href="/workspaces/{team_id}"' in owner.browser.get("/workspaces").text

    page = _invite(owner, team_id, "Bo@Example.com")
    assert page.status_code == 200 and "we emailed them the link" in page.text
    shown = re.search(r'value="(http[^"]+/invites/[^"]+)" aria-label="Invitation link"', page.text).group(1)
    (recipients, mail), = smtp.besides_confirmations()
    assert recipients == ["bo@example.com"] and mail["From"] == "Agora <team@agora.test>"
    assert "Walrus Inc" in mail["Subject"] and shown in mail.get_payload(decode=True).decode()
    assert "2 of 3 seats used" in owner.browser.get(f"/workspaces/{team_id}").text  # the pending invite holds a seat

    bo = signed_up(make_browser, "bo@example.com")
    token = shown.rsplit("/", 1)[1]
    assert bo.browser.submit(f"/invites/{token}", {}, form_page=f"/invites/{token}").status_code == 303
    roster = owner.browser.get(f"/api/workspaces/{team_id}/members", headers=owner.headers).json()
    assert [(m["email"], m["role"]) for m in roster["members"]] == [("bo@example.com", "member"), ("owner@example.com", "owner")]
    assert (roster["seats"], roster["seats_used"], roster["pending"]) == (3, 2, [])


def test_without_a_mail_server_or_with_a_broken_one_the_link_is_shown_to_pass_on(smtp, server, database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team_id = _team(owner)
    put_on_plan(database, "owner@example.com", "team", seats=4)
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    server.app.state.settings = server.app.state.settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{dead}"})
    page = _invite(owner, team_id, "bo@example.com")
    assert "The email could not be sent" in page.text and "/invites/" in page.text

    server.app.state.settings = server.app.state.settings.model_copy(update={"smtp_url": None})
    answer = owner.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": "cy@example.com"}, headers=owner.headers)
    assert answer.status_code == 201
    assert answer.json()["emailed"] is False and "No mail server is configured" in answer.json()["email_note"]
    assert smtp.besides_confirmations() == []
    pending = owner.browser.get(f"/api/workspaces/{team_id}/members", headers=owner.headers).json()["pending"]
    assert [p["email"] for p in pending] == ["bo@example.com", "cy@example.com"]  # both invitations stand


def test_managers_change_roles_remove_withdraw_and_set_the_store_rule_and_members_cannot(smtp, database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team_id = _team(owner)
    put_on_plan(database, "owner@example.com", "team", seats=3)
    link = re.search(r'value="(http[^"]+)" aria-label', _invite(owner, team_id, "bo@example.com").text).group(1)
    bo = signed_up(make_browser, "bo@example.com")
    token = link.rsplit("/", 1)[1]
    assert bo.browser.submit(f"/invites/{token}", {}, form_page=f"/invites/{token}").status_code == 303
    withdrawn = re.search(r'value="(http[^"]+)" aria-label', _invite(owner, team_id, "cy@example.com").text).group(1)

    as_member = bo.browser.get(f"/workspaces/{team_id}").text
    assert "Invite by email" not in as_member and "cy@example.com" not in as_member and "Leave" in as_member
    refused = _invite(bo, team_id, "eve@example.com")
    assert refused.status_code == 403 and "Only the owner and admins" in refused.text

    page = owner.browser.get(f"/workspaces/{team_id}").text
    bo_id = int(re.search(r'/members/(\d+)/role', page).group(1))
    invite_id = int(re.search(r'/invites/(\d+)/revoke', page).group(1))
    changed = owner.browser.submit(f"/workspaces/{team_id}/members/{bo_id}/role", {"role": "admin"}, form_page=f"/workspaces/{team_id}")
    assert changed.headers["location"] == f"/workspaces/{team_id}?notice=role-changed"
    assert "Invite by email" in bo.browser.get(f"/workspaces/{team_id}").text  # an admin now

    revoked = owner.browser.submit(f"/workspaces/{team_id}/invites/{invite_id}/revoke", {}, form_page=f"/workspaces/{team_id}")
    assert revoked.status_code == 303
    cy = signed_up(make_browser, "cy@example.com")
    token = withdrawn.rsplit("/", 1)[1]
    assert cy.browser.post(f"/api/invites/{token}/accept", headers=cy.headers).status_code == 404  # the link no longer works

    saved = owner.browser.submit(f"/workspaces/{team_id}/settings", {}, form_page=f"/workspaces/{team_id}")  # box unticked
    assert saved.headers["location"] == f"/workspaces/{team_id}?notice=saved"
    with database.session() as session:
        assert session.get(TeamSettings, team_id).allow_store_gpts is False

    last_owner = owner.browser.submit(f"/workspaces/{team_id}/members/{_user_id(page, 'owner@example.com')}/remove", {},
                                      form_page=f"/workspaces/{team_id}")
    assert last_owner.status_code == 409 and "at least one owner" in last_owner.text
    left = bo.browser.submit(f"/workspaces/{team_id}/members/{bo_id}/remove", {}, form_page=f"/workspaces/{team_id}")
    assert left.headers["location"] == "/workspaces"
    assert bo.browser.get(f"/workspaces/{team_id}").status_code == 404  # no longer a member: nothing to see


def _user_id(page: str, email: str) -> int:
    row = page.split(f"<td>{email}</td>", 1)[1]
    return int(re.search(r"/members/(\d+)/remove", row).group(1))
