"""What the audit log records from people's actions, and the workspace's page: filters, JSONL export, who may see it."""

from __future__ import annotations

import json

from sqlalchemy import select

from agora.accounts import service as accounts
from agora.accounts.models import ApiKey
from agora.audit import chain
from agora.audit.models import AuditEntry
from agora.scim.models import ScimToken
from agora.store import category_admin
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from tests.audit.conftest import put_on_plan, signed_up


def _actions(database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def _team(database, make_browser):
    owner = signed_up(make_browser, "owner@example.com")
    team_id = owner.browser.post("/api/workspaces", json={"name": "Walrus Inc"}, headers=owner.headers).json()["id"]
    put_on_plan(database, "owner@example.com", "team", seats=5)
    link = owner.browser.post(f"/api/workspaces/{team_id}/invites", json={"email": "bo@example.com"}, headers=owner.headers).json()["url"]
    bo = signed_up(make_browser, "bo@example.com")
    assert bo.browser.post(f"/api/invites/{link.rsplit('/', 1)[1]}/accept", headers=bo.headers).status_code == 200
    return owner, bo, team_id


def test_sign_ins_keys_roles_plans_and_gpts_are_recorded(no_trial, database, make_browser):
    owner, bo, team_id = _team(database, make_browser)
    assert bo.browser.login(email="bo@example.com").status_code in (303, 200)
    assert owner.browser.submit("/account/api-keys", {"name": "CI", "scopes": "models:read"}).status_code == 201
    with database.session() as session:
        key_id = session.scalar(select(ApiKey.id))
    assert owner.browser.submit(f"/account/api-keys/{key_id}/revoke", {}, form_page="/account/api-keys").status_code == 303
    bo_id = bo.browser.get("/api/me").json()["id"]
    assert owner.browser.patch(f"/api/workspaces/{team_id}/members/{bo_id}", json={"role": "admin"}, headers=owner.headers).status_code == 204
    with database.session() as session:
        author = accounts.user_by_email(session, "owner@example.com")
        content = GptContent(name="Handbook", description="Our handbook", instructions="Answer.", welcome_message="Hi")
        gpt = gpts.create_gpt(session, owner=author, workspace_id=team_id, content=content, visibility="private")
        gpts.publish(session, gpt, author=author)
        gpt_id = gpt.id
    assert owner.browser.patch(f"/api/gpts/{gpt_id}", json={"visibility": "workspace"}, headers=owner.headers).status_code == 200
    assert owner.browser.get(f"/api/gpts/{gpt_id}/export").status_code == 200
    assert owner.browser.delete(f"/api/gpts/{gpt_id}", headers=owner.headers).status_code == 204

    actions = _actions(database)
    for expected in ("plan.created", "member.invited", "member.joined", "auth.signed_in", "api_key.created", "api_key.revoked",
                     "member.role_changed", "gpt.published", "gpt.shared", "gpt.exported", "gpt.deleted"):
        assert expected in actions, (expected, actions)
    with database.session() as session:
        shared = session.scalar(select(AuditEntry).where(AuditEntry.action == "gpt.shared"))
        assert shared.actor == "owner@example.com" and shared.workspace_id == team_id
        assert shared.details == {"name": "Handbook", "from": "private", "to": "workspace"}
        signed_in = session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.signed_in"))
        assert signed_in.actor == "bo@example.com" and signed_in.details == {"method": "password"} and signed_in.ip == "127.0.0.1"
        assert chain.verify(session).broken is None


def test_the_workspace_page_filters_and_exports_jsonl_for_managers_only(no_trial, database, make_browser):
    owner, bo, team_id = _team(database, make_browser)
    assert bo.browser.login(email="bo@example.com").status_code in (303, 200)
    outsider = signed_up(make_browser, "eve@example.com")
    assert outsider.browser.login(email="eve@example.com").status_code in (303, 200)

    page = owner.browser.get(f"/workspaces/{team_id}/audit")
    assert page.status_code == 200 and "member.invited" in page.text and "auth.signed_in" in page.text
    assert "eve@example.com" not in page.text  # an outsider's sign-ins are not the team's business
    auth_only = owner.browser.get(f"/workspaces/{team_id}/audit", params={"action": "auth", "actor": "BO@"})
    assert 'data-audit-action="auth.signed_in"' in auth_only.text and 'data-audit-action="member.invited"' not in auth_only.text
    assert "owner@example.com</td>" not in auth_only.text
    later = owner.browser.get(f"/workspaces/{team_id}/audit", params={"since": "2999-01-01"})
    assert "No entry matches." in later.text

    bad = owner.browser.get(f"/workspaces/{team_id}/audit", params={"since": "yesterday"})
    assert bad.status_code == 422 and 'id="since-error"' in bad.text and "YYYY-MM-DD" in bad.text
    bad_action = owner.browser.get(f"/workspaces/{team_id}/audit", params={"action": "drop table"})
    assert bad_action.status_code == 422 and 'id="action-error"' in bad_action.text

    export = owner.browser.get(f"/workspaces/{team_id}/audit/export.jsonl", params={"action": "member"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/jsonl")
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [line["action"] for line in lines] == ["member.invited", "member.joined"]
    assert all(len(line["hash"]) == 64 and line["prev_hash"] for line in lines)
    assert "audit.exported" in _actions(database)  # the export is on the record too

    assert bo.browser.get(f"/workspaces/{team_id}/audit").status_code == 403  # a member, not a manager
    assert outsider.browser.get(f"/workspaces/{team_id}/audit").status_code == 404
    assert outsider.browser.get(f"/workspaces/{team_id}/audit/export.jsonl").status_code == 404


def test_administrators_actions_are_recorded(no_trial, database, make_browser, server):
    owner, _bo, team_id = _team(database, make_browser)
    made = owner.browser.submit(f"/workspaces/{team_id}/scim/tokens", {"name": "Okta"}, form_page=f"/workspaces/{team_id}/scim")
    assert made.status_code == 200
    with database.session() as session:
        token_id = session.scalar(select(ScimToken.id))
    revoked = owner.browser.submit(f"/workspaces/{team_id}/scim/tokens/{token_id}/revoke", {}, form_page=f"/workspaces/{team_id}/scim")
    assert revoked.status_code == 303
    with database.session() as session:
        admin = accounts.user_by_email(session, "owner@example.com")
        admin.role = "admin"
        category = category_admin.create(session, admin, name_en="Legal", name_fr="Juridique")
        category_admin.set_hidden(session, admin, category.id, hidden=True)
    with database.session() as session:
        entries = {e.action: e for e in session.scalars(select(AuditEntry))}
        assert entries["scim.token_created"].details["name"] == "Okta" and entries["scim.token_created"].workspace_id == team_id
        assert entries["scim.token_revoked"].actor == "owner@example.com"
        assert entries["admin.category_created"].details == {"slug": "legal"} and "admin.category_hidden" in entries
        assert chain.verify(session).broken is None
