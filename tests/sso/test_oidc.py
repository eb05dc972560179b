"""Signing in through a real OpenID provider: accounts made just in time, linked, given their group's role,
and every untrustworthy answer (bad nonce, expired token, wrong audience, wrong issuer, replay) refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from agora.accounts.models import Membership, User
from agora.sso.models import SsoIdentity, SsoProvider
from tests.sso.conftest import provider_form, team_with_sso
from tests.sso.idp import Idp, sign_in


def _role(database, team_id: int, email: str) -> str | None:
    with database.session() as session:
        return session.scalar(select(Membership.role).join(User, User.id == Membership.user_id)
                              .where(Membership.workspace_id == team_id, User.email == email))


def test_a_first_sign_in_creates_the_account_joins_the_team_with_its_groups_role(idp, make_browser, database):
    owner, team_id = team_with_sso(make_browser, database, idp)
    idp.set_user("bo-123", email="Bo@Acme.Example.com", name="Bo Jones", groups=["Agora Admins", "Sales"])
    bo = make_browser()
    answer = sign_in(bo, "acme", "bo-123", next_path="/workspaces")
    assert answer.status_code == 303 and answer.headers["location"] == "/workspaces"
    me = bo.get("/api/me").json()
    assert (me["email"], me["display_name"]) == ("bo@acme.example.com", "Bo Jones")
    assert _role(database, team_id, "bo@acme.example.com") == "admin"
    assert 'href="/workspaces/%d"' % team_id in bo.get("/workspaces").text

    idp.set_user("bo-123", email="bo@acme.example.com", groups=["Sales"])  # left the admins' group at the provider
    again = make_browser()
    assert sign_in(again, "acme", "bo-123").status_code == 303
    assert _role(database, team_id, "bo@acme.example.com") == "member"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email == "bo@acme.example.com")) == 1
        assert session.scalar(select(User.password_hash).where(User.email == "bo@acme.example.com")) is None


def test_an_existing_account_at_a_verified_domain_is_linked_and_an_owner_keeps_owning(idp, make_browser, database):
    owner, team_id = team_with_sso(make_browser, database, idp)
    idp.set_user("owner-1", email="owner@acme.example.com", groups=[])
    browser = make_browser()
    assert sign_in(browser, "acme", "owner-1").status_code == 303
    assert browser.get("/api/me").json()["email"] == "owner@acme.example.com"
    assert _role(database, team_id, "owner@acme.example.com") == "owner"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SsoIdentity)) == 1


@pytest.mark.parametrize("tamper, reason", [
    ("nonce", "belongs to another sign-in (nonce)"),
    ("audience", "issued for another application"),
    ("issuer", "issued by another issuer"),
])
def test_untrustworthy_id_tokens_are_refused_and_nobody_is_signed_in(tamper, reason, idp, make_browser, database):
    team_with_sso(make_browser, database, idp)
    idp.set_user("eve", email="eve@acme.example.com")
    idp.tamper.add(tamper)
    eve = make_browser()
    answer = sign_in(eve, "acme", "eve")
    assert answer.status_code == 401 and reason in answer.text
    assert eve.get("/api/me").status_code == 401
    with database.session() as session:
        assert session.scalar(select(User.id).where(User.email == "eve@acme.example.com")) is None


def test_an_expired_id_token_is_refused(make_browser, database):
    late = Idp(token_max_age=timedelta(hours=-1))  # the provider issues tokens that expired an hour ago
    try:
        team_with_sso(make_browser, database, late)
        late.set_user("eve", email="eve@acme.example.com")
        answer = sign_in(make_browser(), "acme", "eve")
        assert answer.status_code == 401 and "it has expired" in answer.text
    finally:
        late.stop()


def test_a_callback_works_once_and_only_in_the_browser_that_started_it(idp, make_browser, database):
    team_with_sso(make_browser, database, idp)
    idp.set_user("bo", email="bo@acme.example.com")
    bo = make_browser()
    start = bo.get("/auth/oidc/acme/login")
    back = httpx.post(start.headers["location"], data={"sub": "bo"}).headers["location"]
    elsewhere = make_browser()
    refused = elsewhere.get(back)  # a callback carried to another browser (login CSRF)
    assert refused.status_code == 400 and "not started in this browser" in refused.text
    assert bo.get(back).status_code == 303
    replay = bo.get(back)
    assert replay.status_code == 400


def test_sign_ins_started_in_two_tabs_both_complete(idp, make_browser, database):
    team_with_sso(make_browser, database, idp)
    idp.set_user("bo", email="bo@acme.example.com")
    bo = make_browser()
    first, second = (httpx.post(bo.get("/auth/oidc/acme/login").headers["location"], data={"sub": "bo"}).headers["location"]
                     for _ in range(2))
    assert bo.get(second).status_code == 303
    assert bo.get(first).status_code == 303


def test_addresses_outside_the_verified_domains_and_unverified_ones_are_refused(idp, make_browser, database):
    team_with_sso(make_browser, database, idp)
    idp.set_user("mallory", email="ceo@other.example.org")
    answer = sign_in(make_browser(), "acme", "mallory")
    assert answer.status_code == 403 and "verified domains" in answer.text
    idp.set_user("una", email="una@acme.example.com", email_verified=False)
    answer = sign_in(make_browser(), "acme", "una")
    assert answer.status_code == 403 and "not verified" in answer.text
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email.in_(["ceo@other.example.org", "una@acme.example.com"]))) == 0


def test_without_a_free_seat_nobody_joins_and_no_account_is_left_behind(idp, make_browser, database):
    team_with_sso(make_browser, database, idp, seats=2)
    idp.set_user("bo", email="bo@acme.example.com")
    idp.set_user("cy", email="cy@acme.example.com")
    assert sign_in(make_browser(), "acme", "bo").status_code == 303  # the second seat
    answer = sign_in(make_browser(), "acme", "cy")
    assert answer.status_code == 422 and "seats" in answer.text
    with database.session() as session:
        assert session.scalar(select(User.id).where(User.email == "cy@acme.example.com")) is None


def test_a_refusal_at_the_provider_is_reported(idp, make_browser, database):
    team_with_sso(make_browser, database, idp)
    bo = make_browser()
    denied = httpx.post(bo.get("/auth/oidc/acme/login").headers["location"], data={"action": "deny"}).headers["location"]
    answer = bo.get(denied)
    assert answer.status_code == 401 and "did not sign you in" in answer.text


def test_the_same_person_signing_in_from_eight_tabs_at_once_gets_one_account(idp, make_browser, database):
    team_with_sso(make_browser, database, idp)
    idp.set_user("bo", email="bo@acme.example.com")
    browsers = [make_browser() for _ in range(8)]
    callbacks = [httpx.post(b.get("/auth/oidc/acme/login").headers["location"], data={"sub": "bo"}).headers["location"] for b in browsers]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda pair: pair[0].get(pair[1]).status_code, zip(browsers, callbacks)))
    assert answers == [303] * 8
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.email == "bo@acme.example.com")) == 1
        assert session.scalar(select(func.count()).select_from(SsoIdentity)) == 1


def test_the_client_secret_is_stored_encrypted_and_kept_when_left_empty(idp, make_browser, database):
    owner, team_id = team_with_sso(make_browser, database, idp)
    with database.session() as session:
        stored = session.scalar(select(SsoProvider.client_secret))
    assert stored and "s3cret" not in stored
    assert owner.browser.submit(f"/workspaces/{team_id}/sso", provider_form(idp, client_secret="", name="Acme SSO")).status_code == 303
    with database.session() as session:
        assert session.scalar(select(SsoProvider.client_secret)) == stored
    idp.set_user("bo", email="bo@acme.example.com")
    assert sign_in(make_browser(), "acme", "bo").status_code == 303
