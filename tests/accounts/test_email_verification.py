"""Email verification (issue 20 item 5): a link mailed at sign-up, caught by a real SMTP server; an operator setting
that requires it before anyone chats, builds or buys; browsing never needs it."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from itsdangerous.timed import TimestampSigner
from playwright.sync_api import expect
from pydantic import ValidationError

from agora.accounts import service as accounts
from agora.accounts import verification
from agora.audit.models import AuditEntry
from agora.config import Settings
from agora.errors import InvalidInput
from tests.browser.layout import assert_fits_the_screen
from tests.conftest import sign_up_in_chromium

LINK = re.compile(r"https?://\S+/email/verify\?token=\S+")


@pytest.fixture
def required(server, smtp):
    """The operator requires verified addresses (and has a mail server: the smtp fixture's)."""
    before = server.app.state.settings
    server.app.state.settings = before.model_copy(update={"require_email_verification": True})
    yield
    server.app.state.settings = before


def _wait_for_mail(smtp, count: int = 1) -> None:
    """The confirmation goes after the sign-up's answer (a background task): wait for it to arrive."""
    deadline = time.monotonic() + 20
    while len(smtp.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(smtp.messages) == count, smtp.messages


def _link(smtp, index: int = -1) -> str:
    recipients, message = smtp.messages[index]
    assert message["Subject"] == "Confirm your email address for Agora"
    return LINK.search(message.get_payload(decode=True).decode()).group(0)


def _api_signup(make_browser, email: str = "ada@example.com"):
    client = make_browser()
    answer = client.post("/api/auth/signup", json={"email": email, "display_name": "Ada", "password": "correct horse battery"},
                         headers=client.api_headers())
    assert answer.status_code == 201 and answer.json()["email_verified"] is False
    return client


def _csrf(client) -> dict:
    return client.api_headers()


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_newcomer_confirms_their_address_before_building_when_the_operator_requires_it(page, server, smtp, required, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_up_in_chromium(page)
    expect(page.get_by_role("heading", name="Confirm your email")).to_be_visible()
    expect(page.get_by_text("We emailed a link to ada@example.com")).to_be_visible()
    assert_fits_the_screen(page)
    page.goto("/")  # browsing the store needs nothing
    expect(page.get_by_role("heading", name="Confirm your email")).to_have_count(0)
    page.goto("/gpts/new")  # building does
    expect(page.get_by_role("heading", name="Confirm your email")).to_be_visible()
    assert "/email/unverified?next=/gpts/new" in page.url
    _wait_for_mail(smtp)
    page.goto(_link(smtp))
    expect(page.get_by_role("status")).to_contain_text("Your email address ada@example.com is confirmed")
    page.goto("/gpts/new")
    expect(page.get_by_role("heading", name="Confirm your email")).to_have_count(0)


def test_the_api_refuses_an_unverified_account_with_a_code_until_the_link_is_followed(make_browser, database, smtp, required):
    client = _api_signup(make_browser)
    _wait_for_mail(smtp)
    me = client.get("/api/me")
    assert me.status_code == 200 and me.json()["email_verified"] is False  # who am I: answered, with the state
    refused = client.post("/api/gpts", json={"name": "Helper"}, headers=_csrf(client))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "email_unverified"
    assert "ada@example.com" in refused.json()["error"]["message"]
    first = client.get(_link(smtp))
    again = client.get(_link(smtp))  # a second click, or a mail scanner that fetched it first: nothing more happens
    assert first.status_code == again.status_code == 200 and "is confirmed" in again.text
    assert client.get("/api/me").json()["email_verified"] is True
    assert client.post("/api/gpts", json={"name": "Helper"}, headers=_csrf(client)).status_code == 201
    with database.session() as session:  # one verification recorded, not two
        assert session.query(AuditEntry).filter(AuditEntry.action == "auth.email_verified").count() == 1


def test_links_expire_are_signed_and_name_the_address_they_were_sent_to(server, database, monkeypatch):
    secret = server.app.state.secret_key
    with database.session() as session:
        ada = accounts.create_user(session, email="ada@example.com", display_name="Ada", password="correct horse battery")
    assert ada.email_verified_at is None
    fresh = verification.token_for(secret, ada)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 49 * 3600)
    old = verification.token_for(secret, ada)
    monkeypatch.undo()
    for bad in (old, fresh[:-2] + ("AA" if not fresh.endswith("AA") else "BB")):
        with database.session() as session, pytest.raises(InvalidInput, match="expired") as refused:
            verification.verify(session, secret, bad)
        assert refused.value.field == "token"
    with database.session() as session:  # the account moved to another address: the old link does not vouch for it
        accounts.update_identity(session, session.get(type(ada), ada.id), email="ada@elsewhere.example", display_name="Ada")
    with database.session() as session, pytest.raises(InvalidInput):
        verification.verify(session, secret, fresh)
    page = httpx.get(f"{server.url}/email/verify", params={"token": old})
    assert page.status_code == 422 and "expired" in page.text


def test_a_new_link_is_limited_to_one_a_minute(smtp, required, make_browser):
    client = _api_signup(make_browser)
    _wait_for_mail(smtp)
    headers = _csrf(client)
    sent = client.post("/email/verify/resend", data={"next": "/"}, headers=headers)
    assert sent.status_code == 200 and "A new link is on its way" in sent.text
    assert len(smtp.messages) == 2
    again = client.post("/email/verify/resend", data={"next": "/"}, headers=headers)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 1 and len(smtp.messages) == 2


def test_without_the_requirement_nothing_waits_and_the_account_page_offers_the_link(smtp, make_browser):
    client = _api_signup(make_browser)
    _wait_for_mail(smtp)  # still sent: the address is worth confirming
    assert client.post("/api/gpts", json={"name": "Helper"}, headers=_csrf(client)).status_code == 201
    account = client.get("/account")
    assert account.status_code == 200 and "not confirmed yet" in account.text


def test_accounts_an_identity_provider_or_the_operator_made_are_verified(database, server):
    with database.session() as session:
        provisioned = accounts.create_user(session, email="sso@example.com", display_name="Sso", password=None)
        typed = accounts.create_user(session, email="admin@example.com", display_name="Op", password="correct horse battery", email_verified=True)
        assert provisioned.email_verified_at is not None and typed.email_verified_at is not None


def test_requiring_it_without_a_mail_server_is_refused_at_start(tmp_path):
    with pytest.raises(ValidationError, match="AGORA_REQUIRE_EMAIL_VERIFICATION=true needs AGORA_SMTP_URL"):
        Settings(home=tmp_path, _env_file=None, require_email_verification=True)
