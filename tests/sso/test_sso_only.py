"""SSO only: a team turns password sign-in and sign-up off for a verified domain; its people sign in
through the provider, everyone else as before; the switch is audited and refused where it would lock people out."""

from __future__ import annotations

import re

from sqlalchemy import select

from agora.audit.models import AuditEntry
from agora.sso.models import WorkspaceDomain
from tests.billing.conftest import signed_up
from tests.sso.conftest import team_with_sso
from tests.sso.idp import sign_in


def _domain_id(database, domain: str) -> int:
    with database.session() as session:
        return session.scalar(select(WorkspaceDomain.id).where(WorkspaceDomain.domain == domain))


def test_sso_only_turns_passwords_off_for_the_domain(database, make_browser, idp):
    carol = signed_up(make_browser, "carol@acme.example.com")  # had a password before the switch
    outsider = signed_up(make_browser, "dan@other.example.com")
    owner, team_id = team_with_sso(make_browser, database, idp)
    domain_id = _domain_id(database, "acme.example.com")
    switched = owner.browser.submit(f"/workspaces/{team_id}/sso/domains/{domain_id}", {"action": "sso_only_on"}, form_page=f"/workspaces/{team_id}/sso")
    assert switched.status_code == 303
    assert "data-sso-only" in owner.browser.get(f"/workspaces/{team_id}/sso").text

    refused = make_browser().login(email="carol@acme.example.com")
    assert refused.status_code == 403 and "single sign-on only" in refused.text
    api = make_browser()
    answer = api.post("/api/auth/login", json={"email": "CAROL@acme.example.com", "password": "correct horse battery"},
                      headers={"X-CSRF-Token": api.csrf("/login")})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "sso_only"
    signup = make_browser().signup(email="new@acme.example.com")
    assert signup.status_code == 403 and "single sign-on only" in signup.text
    assert make_browser().login(email="dan@other.example.com").status_code == 303  # other domains are untouched
    assert outsider

    idp.set_user("carol-1", email="carol@acme.example.com")
    assert sign_in(make_browser(), "acme", "carol-1").status_code == 303  # the provider still signs Carol in
    with database.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "workspace.sso_only_changed"))
        assert entry.details == {"sso_only": True} and entry.target_id == "acme.example.com" and entry.actor == "owner@acme.example.com"

    owner.browser.submit(f"/workspaces/{team_id}/sso/domains/{domain_id}", {"action": "sso_only_off"}, form_page=f"/workspaces/{team_id}/sso")
    assert make_browser().login(email="carol@acme.example.com").status_code == 303
    assert carol


def test_only_a_verified_domain_with_a_provider_can_be_sso_only(database, make_browser, idp):
    owner, team_id = team_with_sso(make_browser, database, idp, enabled="")
    domain_id = _domain_id(database, "acme.example.com")
    page = owner.browser.submit(f"/workspaces/{team_id}/sso/domains/{domain_id}", {"action": "sso_only_on"}, form_page=f"/workspaces/{team_id}/sso")
    assert page.status_code == 422 and "single sign-on first" in page.text
    claimed = owner.browser.submit(f"/workspaces/{team_id}/sso/domains", {"domain": "beta.example.com"}, form_page=f"/workspaces/{team_id}/sso")
    assert claimed.status_code == 303
    unverified = owner.browser.submit(f"/workspaces/{team_id}/sso/domains/{_domain_id(database, 'beta.example.com')}", {"action": "sso_only_on"},
                                      form_page=f"/workspaces/{team_id}/sso")
    assert unverified.status_code == 422 and re.search(r"Verify beta\.example\.com first", unverified.text)
