"""The GPT inventory: a team's admins see every GPT of the workspace, filter it, download it as CSV,
change many at once (all or nothing), and a leaver's GPTs go to the chosen admin."""

from __future__ import annotations

import csv
import io
import re

from scim2_models import PatchOp
from sqlalchemy import select

from agora.accounts import service as accounts
from agora.audit.models import AuditEntry
from agora.chat import service as chat
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from tests.inventory.conftest import put_on_plan, signed_up
from tests.scim.test_users import UserResource, person


def _join(owner, team_id: int, member, email: str, role: str = "member") -> int:
    link = owner.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": email, "role": role}, headers=owner.headers).json()["url"]
    assert member.browser.post(f"/api/invites/{link.rsplit('/', 1)[1]}/accept", headers=member.headers).status_code == 200
    return member.browser.get("/api/me").json()["id"]


def _gpt(database, email: str, team_id: int, name: str, visibility: str = "workspace") -> str:
    with database.session() as session:
        user = accounts.user_by_email(session, email)
        gpt = gpts.create_gpt(session, owner=user, workspace_id=team_id, visibility=visibility,
                              content=GptContent(name=name, description="d", instructions="i", welcome_message="w"))
        gpts.publish(session, gpt, author=user)
        return gpt.id


def _team(database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team_id = owner.browser.post("/api/workspaces", json={"name": "Walrus"}, headers=owner.headers).json()["id"]
    put_on_plan(database, "owner@example.com", "team", seats=5)
    bo, cy = signed_up(make_browser, "bo@example.com"), signed_up(make_browser, "cy@example.com")
    bo_id = _join(owner, team_id, bo, "bo@example.com")
    cy_id = _join(owner, team_id, cy, "cy@example.com", role="admin")
    return owner, bo, cy, team_id, bo_id, cy_id


def test_admins_see_every_gpt_filter_it_and_download_it_as_csv(no_trial, database, make_browser):
    owner, bo, _cy, team_id, bo_id, _cy_id = _team(database, make_browser)
    handbook = _gpt(database, "bo@example.com", team_id, "Handbook")
    formula = _gpt(database, "bo@example.com", team_id, "=HYPERLINK(evil)", visibility="private")
    pricing = _gpt(database, "owner@example.com", team_id, "Pricing helper", visibility="public")
    elsewhere = _gpt(database, "bo@example.com", accounts_personal(database, "bo@example.com"), "Bo's own")
    with database.session() as session:
        chat.start(session, user=accounts.user_by_email(session, "owner@example.com"), gpt_id=handbook)

    page = owner.browser.get(f"/workspaces/{team_id}/gpts")
    assert page.status_code == 200
    assert all(gpt_id in page.text for gpt_id in (handbook, formula, pricing)) and elsewhere not in page.text
    row = re.search(rf'<tr data-gpt="{handbook}">(.*?)</tr>', page.text, re.S).group(1)
    assert "bo@example.com" in row and "the workspace's members" in row and "<td>1</td>" in row  # one conversation in 30 days
    mine = owner.browser.get(f"/workspaces/{team_id}/gpts", params={"owner": bo_id, "visibility": "workspace"}).text
    assert handbook in mine and formula not in mine and pricing not in mine
    assert pricing in owner.browser.get(f"/workspaces/{team_id}/gpts", params={"q": "PRICING"}).text
    assert owner.browser.get(f"/workspaces/{team_id}/gpts", params={"visibility": "secret"}).status_code == 422

    table = owner.browser.get(f"/workspaces/{team_id}/gpts.csv")
    assert table.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(table.text)))
    assert {line["id"] for line in lines} == {handbook, formula, pricing}
    assert next(line for line in lines if line["id"] == formula)["name"] == "'=HYPERLINK(evil)"  # text, not a formula
    assert next(line for line in lines if line["id"] == handbook)["conversations_30_days"] == "1"

    assert bo.browser.get(f"/workspaces/{team_id}/gpts").status_code == 403  # members do not manage the team
    assert bo.browser.get(f"/workspaces/{team_id}/gpts.csv").status_code == 403


def accounts_personal(database, email: str) -> int:
    with database.session() as session:
        return accounts.personal_workspace_id(session, accounts.user_by_email(session, email))


def test_bulk_actions_change_transfer_and_delete_all_or_nothing(no_trial, database, make_browser):
    owner, _bo, _cy, team_id, bo_id, cy_id = _team(database, make_browser)
    one, two = _gpt(database, "bo@example.com", team_id, "One", "private"), _gpt(database, "bo@example.com", team_id, "Two", "private")
    bulk = f"/workspaces/{team_id}/gpts/bulk"

    refused = owner.browser.submit(bulk, {"action": "visibility", "visibility": "workspace", "gpt_ids": [one, "g-doesnotexist"]},
                                   form_page=f"/workspaces/{team_id}/gpts")
    assert refused.status_code == 422 and 'id="gpt_ids-error"' in refused.text
    with database.session() as session:
        assert session.get(Gpt, one).visibility == "private"  # nothing was changed

    done = owner.browser.submit(bulk, {"action": "visibility", "visibility": "workspace", "gpt_ids": [one, two]}, form_page=f"/workspaces/{team_id}/gpts")
    assert done.status_code == 303 and "count=2" in done.headers["location"]
    moved = owner.browser.submit(bulk, {"action": "transfer", "to_user_id": str(cy_id), "gpt_ids": [one]}, form_page=f"/workspaces/{team_id}/gpts")
    assert moved.status_code == 303
    stranger = signed_up(make_browser, "eve@example.com")
    eve_id = stranger.browser.get("/api/me").json()["id"]
    outside = owner.browser.submit(bulk, {"action": "transfer", "to_user_id": str(eve_id), "gpt_ids": [two]}, form_page=f"/workspaces/{team_id}/gpts")
    assert outside.status_code == 422 and 'id="to_user_id-error"' in outside.text
    assert owner.browser.submit(bulk, {"action": "delete", "gpt_ids": [two]}, form_page=f"/workspaces/{team_id}/gpts").status_code == 303
    with database.session() as session:
        first, second = session.get(Gpt, one), session.get(Gpt, two)
        assert (first.visibility, first.owner_id) == ("workspace", cy_id) and second.visibility == "workspace" and second.deleted_at is not None
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.workspace_id == team_id)).all()
        assert actions.count("gpt.shared") == 2 and "gpt.transferred" in actions and "gpt.deleted" in actions
    assert bo_id


def test_a_leavers_gpts_go_to_the_chosen_admin(no_trial, database, make_browser):
    owner, _bo, cy, team_id, bo_id, cy_id = _team(database, make_browser)
    handbook, notes = _gpt(database, "bo@example.com", team_id, "Handbook"), _gpt(database, "bo@example.com", team_id, "Notes", "private")
    own = _gpt(database, "bo@example.com", accounts_personal(database, "bo@example.com"), "Bo's own")
    refused = owner.browser.submit(f"/workspaces/{team_id}/gpts/heir", {"heir": str(bo_id)}, form_page=f"/workspaces/{team_id}/gpts")
    assert refused.status_code == 422  # a member, not an admin
    assert owner.browser.submit(f"/workspaces/{team_id}/gpts/heir", {"heir": str(cy_id)}, form_page=f"/workspaces/{team_id}/gpts").status_code == 303

    assert owner.browser.delete(f"/api/workspaces/{team_id}/members/{bo_id}", headers=owner.headers).status_code == 204
    with database.session() as session:
        assert [session.get(Gpt, gpt_id).owner_id for gpt_id in (handbook, notes, own)] == [cy_id, cy_id, bo_id]
        reasons = session.scalars(select(AuditEntry.details).where(AuditEntry.action == "gpt.transferred")).all()
        assert [r["reason"] for r in reasons] == ["left the workspace", "left the workspace"]
    assert notes in cy.browser.get("/gpts/mine").text  # the heir edits them now


def test_a_scim_deactivation_hands_the_gpts_to_the_first_owner(provisioned, database):
    created = provisioned.client.create(person())
    gpt_id = _gpt(database, "bo@acme.example.com", provisioned.team_id, "Onboarding")
    off = PatchOp[UserResource].model_validate({"Operations": [{"op": "replace", "path": "active", "value": False}]})
    provisioned.client.modify(UserResource, created.id, off)
    with database.session() as session:
        owner = accounts.user_by_email(session, "owner@acme.example.com")
        assert session.get(Gpt, gpt_id).owner_id == owner.id
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "gpt.transferred"))
        assert entry.details["reason"] == "deactivated" and entry.workspace_id == provisioned.team_id
