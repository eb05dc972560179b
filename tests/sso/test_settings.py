"""Setting single sign-on up: who may, what is checked before saving, the instance-wide provider,
finding an organisation's sign-in from an email address, and proving an email domain over HTTPS."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.accounts.models import Membership, User
from agora.sso.models import SsoProvider, WorkspaceDomain
from tests.billing.conftest import signed_up
from tests.sso.conftest import provider_form, team_with_sso
from tests.sso.idp import sign_in
from tests.store.test_builders import TokenServer


def _error(page) -> str:
    return html.unescape(page.text)


def test_only_the_teams_managers_and_the_instances_admins_configure_it(idp, make_browser, database):
    owner, team_id = team_with_sso(make_browser, database, idp)
    stranger = signed_up(make_browser, "stranger@example.com")
    assert stranger.browser.get(f"/workspaces/{team_id}/sso").status_code == 404
    assert stranger.browser.submit(f"/workspaces/{team_id}/sso", provider_form(idp, slug="mine"), form_page="/").status_code == 404
    assert stranger.browser.get("/admin/sso").status_code == 403
    assert make_browser().get(f"/workspaces/{team_id}/sso").headers["location"].startswith("/login")
    assert make_browser().get("/admin/sso").headers["location"].startswith("/login")
    page = owner.browser.get(f"/workspaces/{team_id}/sso")
    assert page.status_code == 200 and "/auth/oidc/acme/callback" in page.text and "s3cret" not in page.text


@pytest.mark.parametrize("changes, field, message", [
    ({"issuer": "http://sso.example.com"}, "issuer", "reached over HTTPS"),
    ({"slug": "Not A Slug"}, "slug", "lower-case letters"),
    ({"scopes": "email profile"}, "scopes", "must include openid"),
    ({"group_roles": "Agora Admins = admin\nEveryone = owner"}, "group_roles", "Line 2 of the group mapping"),
    ({"client_id": " "}, "client_id", "client ID"),
    ({"client_secret": ""}, "client_secret", "client secret"),
])
def test_a_wrong_setting_is_named_and_nothing_is_saved(changes, field, message, idp, make_browser, database):
    owner = signed_up(make_browser, "owner@acme.example.com")
    team_id = owner.browser.post("/api/workspaces", json={"name": "Acme"}, headers=owner.headers).json()["id"]
    page = owner.browser.submit(f"/workspaces/{team_id}/sso", provider_form(idp, **changes))
    assert page.status_code == 422 and message in _error(page)
    assert f'id="{field}-error"' in page.text
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SsoProvider)) == 0


def test_an_issuer_that_names_another_issuer_is_refused_before_saving(idp, make_browser, database):
    owner = signed_up(make_browser, "owner@acme.example.com")
    team_id = owner.browser.post("/api/workspaces", json={"name": "Acme"}, headers=owner.headers).json()["id"]
    other_name = idp.issuer.replace("localhost", "127.0.0.1")  # the provider calls itself by the name it is reached at
    page = owner.browser.submit(f"/workspaces/{team_id}/sso", provider_form(idp, issuer=other_name + "/"))
    assert page.status_code == 422 and "copy its issuer exactly" in _error(page)
    unreachable = owner.browser.submit(f"/workspaces/{team_id}/sso", provider_form(idp, issuer="http://localhost:9/"))
    assert unreachable.status_code == 422 and "did not answer as expected" in _error(unreachable)


def test_a_short_name_belongs_to_one_workspace(idp, make_browser, database):
    team_with_sso(make_browser, database, idp)
    other = signed_up(make_browser, "boss@other.example.org")
    team_id = other.browser.post("/api/workspaces", json={"name": "Other"}, headers=other.headers).json()["id"]
    page = other.browser.submit(f"/workspaces/{team_id}/sso", provider_form(idp))
    assert page.status_code == 409 and "is taken" in _error(page)


def test_the_instance_provider_signs_in_anyone_without_joining_a_team(idp, make_browser, database):
    with database.session() as session:
        accounts.create_user(session, email="root@example.com", display_name="Root", password="a long admin password", role="admin")
    admin = make_browser()
    assert admin.login("root@example.com", "a long admin password").status_code == 303
    saved = admin.submit("/admin/sso", {"slug": "corp", "name": "Corporate login", "issuer": idp.issuer, "client_id": "agora",
                                        "client_secret": "corp-secret", "scopes": "openid email profile", "enabled": "on"})
    assert saved.status_code == 303
    assert "Sign in with Corporate login" in make_browser().get("/auth/sso").text
    idp.set_user("x1", email="someone@gmail.example.org", name="Someone")
    visitor = make_browser()
    assert sign_in(visitor, "corp", "x1").status_code == 303
    assert visitor.get("/api/me").json()["email"] == "someone@gmail.example.org"
    with database.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == "someone@gmail.example.org"))
        assert session.scalar(select(func.count()).select_from(Membership).where(Membership.user_id == user_id)) == 1  # personal only


def test_the_work_email_finds_the_organisations_sign_in(idp, make_browser, database):
    team_with_sso(make_browser, database, idp)
    visitor = make_browser()
    found = visitor.submit("/auth/sso", {"email": "bo@Acme.example.com", "next": "/workspaces"})
    assert found.status_code == 303 and found.headers["location"] == "/auth/oidc/acme/login?next=/workspaces"
    unknown = visitor.submit("/auth/sso", {"email": "bo@elsewhere.example.org"})
    assert unknown.status_code == 404 and "No single sign-on is set up for elsewhere.example.org" in _error(unknown)
    assert "/auth/sso" in visitor.get("/login").text


@pytest.fixture
def token_server(tmp_path, server):
    token_server = TokenServer(tmp_path)
    token_server.path = "/.well-known/agora-workspace.txt"
    server.app.state.settings = server.settings.model_copy(
        update={"outbound_allow_hosts": "localhost", "builder_verification_ca_bundle": str(token_server.ca_file)})
    yield token_server
    server.app.state.settings = server.settings
    token_server.httpd.shutdown()


def test_a_domain_is_proven_over_https_once_for_one_workspace(idp, token_server, make_browser, database):
    owner, team_id = team_with_sso(make_browser, database, idp)
    base = f"/workspaces/{team_id}/sso"
    assert owner.browser.submit(f"{base}/domains", {"domain": token_server.domain}, form_page=base).status_code == 303
    page = owner.browser.get(base)
    token = re.search(r"token: (agora-verify-[\w-]+)", page.text).group(1)
    with database.session() as session:
        domain_id = session.scalar(select(WorkspaceDomain.id).where(WorkspaceDomain.domain == token_server.domain))
    not_yet = owner.browser.submit(f"{base}/domains/{domain_id}", {"action": "verify"}, form_page=base)
    assert not_yet.status_code == 422 and "HTTP 404" in _error(not_yet)
    token_server.body = token.encode() + b"\n"
    assert owner.browser.submit(f"{base}/domains/{domain_id}", {"action": "verify"}, form_page=base).status_code == 303
    with database.session() as session:
        assert session.scalar(select(WorkspaceDomain.verified_domain).where(WorkspaceDomain.id == domain_id)) == token_server.domain

    rival = signed_up(make_browser, "boss@other.example.org")
    rival_team = rival.browser.post("/api/workspaces", json={"name": "Rival"}, headers=rival.headers).json()["id"]
    rival_base = f"/workspaces/{rival_team}/sso"
    assert rival.browser.submit(f"{rival_base}/domains", {"domain": token_server.domain}, form_page=rival_base).status_code == 303
    with database.session() as session:
        rival_id = session.scalar(select(WorkspaceDomain.id).where(WorkspaceDomain.workspace_id == rival_team))
        rival_token = session.scalar(select(WorkspaceDomain.token).where(WorkspaceDomain.id == rival_id))
    token_server.body = rival_token.encode()
    taken = rival.browser.submit(f"{rival_base}/domains/{rival_id}", {"action": "verify"}, form_page=rival_base)
    assert taken.status_code == 409 and "already verified" in _error(taken)
