"""Issue 22's walk-through in real Chromium: a person signs in through the company's OpenID provider
into a workspace that is SSO only; SCIM deactivation signs them out; the audit log shows both and
`agora audit verify` catches a tampered entry; an admin transfers the leaver's GPT from the
inventory; retention deletes an expired conversation, but not while the workspace is on legal hold."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from scim2_models import PatchOp
from sqlalchemy import select, update

from agora.accounts import service as accounts
from agora.audit.models import AuditEntry
from agora.chat import service as chat
from agora.chat.models import Conversation, Message
from agora.db import utcnow
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from agora.retention import service as retention
from agora.sso.models import WorkspaceDomain
from tests.conftest import AGORA
from tests.scim.conftest import make_token, scim_client
from tests.scim.test_users import UserResource, person
from tests.sso.conftest import team_with_sso

pytestmark = pytest.mark.browser


def _sso_sign_in(page: Page, idp, email: str, sub: str, server_url: str) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Sign in with single sign-on (SSO)").click()
    page.get_by_label("Work email").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{idp.issuer}/**")
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{server_url}/**")


def _agora(database, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_DATABASE_URL=database.engine.url.render_as_string(hide_password=False), AGORA_SECRET_KEY="x" * 40)
    return subprocess.run([AGORA, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def _old_conversation(database, email: str, gpt_id: str) -> str:
    with database.session() as session:
        conversation = chat.start(session, user=accounts.user_by_email(session, email), gpt_id=gpt_id)
        session.add(Message(conversation_id=conversation.id, role="user", content="the merger plan"))
        conversation.updated_at = utcnow() - timedelta(days=45)
        return conversation.id


def test_sso_only_scim_audit_inventory_and_retention(no_trial, chromium, server, database, make_browser, idp):
    owner, team_id = team_with_sso(make_browser, database, idp, seats=10)
    with database.session() as session:
        domain_id = session.scalar(select(WorkspaceDomain.id).where(WorkspaceDomain.workspace_id == team_id))
    assert owner.browser.submit(f"/workspaces/{team_id}/sso/domains/{domain_id}", {"action": "sso_only_on"},
                                form_page=f"/workspaces/{team_id}/sso").status_code == 303
    scim, http = scim_client(server, make_token(owner, team_id))
    bo_scim = scim.create(person())  # the company's identity provider provisions Bo
    idp.set_user("bo-1", email="bo@acme.example.com", name="Bo Jones")
    idp.set_user("owner-1", email="owner@acme.example.com", name="Olga Owner")

    bo_context = chromium.new_context(base_url=server.url, locale="en-US")
    admin_context = chromium.new_context(base_url=server.url, locale="en-US")
    try:
        bo = bo_context.new_page()
        bo.set_default_timeout(15_000)
        bo.goto("/login")  # SSO only: Bo's password would be refused; the provider signs Bo in
        bo.get_by_label("Email").fill("bo@acme.example.com")
        bo.get_by_label("Password").fill("any password at all")
        bo.get_by_role("button", name="Log in").click()
        expect(bo.get_by_text("signs in with single sign-on only")).to_be_visible()
        _sso_sign_in(bo, idp, "bo@acme.example.com", "bo-1", server.url)
        bo.goto("/workspaces")
        expect(bo.locator(".workspace-list li", has_text="Acme")).to_contain_text("current")

        with database.session() as session:  # Bo builds a GPT for the team
            builder = accounts.user_by_email(session, "bo@acme.example.com")
            gpt = gpts.create_gpt(session, owner=builder, workspace_id=team_id, visibility="workspace",
                                  content=GptContent(name="Onboarding buddy", description="d", instructions="i", welcome_message="w"))
            gpts.publish(session, gpt, author=builder)
            gpt_id = gpt.id

        admin = admin_context.new_page()
        admin.set_default_timeout(15_000)
        _sso_sign_in(admin, idp, "owner@acme.example.com", "owner-1", server.url)

        # Bo is leaving: the admin hands Bo's GPT to themselves from the inventory.
        admin.goto(f"/workspaces/{team_id}/gpts")
        row = admin.locator(f'tr[data-gpt="{gpt_id}"]')
        expect(row.locator("[data-owner]")).to_contain_text("bo@acme.example.com")
        row.get_by_role("checkbox").check()
        with database.session() as session:
            owner_id = accounts.user_by_email(session, "owner@acme.example.com").id
        admin.get_by_label("New builder").select_option(str(owner_id))
        admin.get_by_role("button", name="Transfer").click()
        expect(admin.get_by_text("Done: 1 GPTs changed.")).to_be_visible()
        expect(admin.locator(f'tr[data-gpt="{gpt_id}"] [data-owner]')).to_contain_text("owner@acme.example.com")

        # The identity provider deactivates Bo: Bo's next page is the sign-in page.
        off = PatchOp[UserResource].model_validate({"Operations": [{"op": "replace", "path": "active", "value": False}]})
        scim.modify(UserResource, bo_scim.id, off)
        bo.goto("/workspaces")
        expect(bo).to_have_url(f"{server.url}/login?next=/workspaces")

        # The audit log shows the single sign-on and the deactivation.
        admin.goto(f"/workspaces/{team_id}/audit")
        expect(admin.locator('tr[data-audit-action="auth.signed_in"]', has_text="bo@acme.example.com")).to_have_count(1)
        expect(admin.locator('tr[data-audit-action="user.deactivated"]')).to_contain_text("bo@acme.example.com")
        expect(admin.locator('tr[data-audit-action="gpt.transferred"]')).to_have_count(1)
        admin.get_by_label("Action").select_option("auth")
        admin.get_by_role("button", name="Filter").click()
        expect(admin.locator('tr[data-audit-action="user.deactivated"]')).to_have_count(0)

        intact = _agora(database, "audit", "verify")
        assert intact.returncode == 0, intact.stderr
        with database.session() as session:  # someone edits the deactivation out of the record
            tampered = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.deactivated"))
            tampered_seq = tampered.seq
            session.execute(update(AuditEntry).where(AuditEntry.seq == tampered_seq).values(action="user.reactivated"))
        broken = _agora(database, "audit", "verify")
        assert broken.returncode == 1 and f"entry {tampered_seq}: edited" in broken.stderr, broken.stderr
        with database.session() as session:
            session.execute(update(AuditEntry).where(AuditEntry.seq == tampered_seq).values(action="user.deactivated"))

        # Retention: 30 days, under legal hold first.
        expired = _old_conversation(database, "owner@acme.example.com", gpt_id)
        admin.goto(f"/workspaces/{team_id}/retention")
        admin.get_by_label("Keep conversations").select_option("30")
        admin.get_by_label("Legal hold: suspend every deletion").check()
        admin.get_by_label("Reason for the hold").fill("Case 2026-17")
        admin.get_by_role("button", name="Save").click()
        expect(admin.locator("[data-legal-hold]")).to_contain_text("Case 2026-17")
        assert _agora(database, "retention", "run").stdout.startswith("0 expired conversations deleted")
        with database.session() as session:
            assert session.get(Conversation, expired) is not None  # on legal hold: kept
        admin.get_by_label("Legal hold: suspend every deletion").uncheck()
        admin.get_by_role("button", name="Save").click()
        expect(admin.get_by_text("Retention saved.")).to_be_visible()
        assert retention.run(database, now=utcnow()) == 1
        with database.session() as session:
            assert session.get(Conversation, expired) is None
            assert session.get(Gpt, gpt_id).owner_id == accounts.user_by_email(session, "owner@acme.example.com").id
        admin.goto(f"/workspaces/{team_id}/audit")
        expect(admin.locator('tr[data-audit-action="retention.deleted"]')).to_have_count(1)
        assert _agora(database, "audit", "verify").returncode == 0
    finally:
        http.close()
        bo_context.close()
        admin_context.close()
