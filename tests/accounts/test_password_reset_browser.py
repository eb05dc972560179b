"""Password reset by email (issue 20 item 5), in real Chromium on a desktop and a 390 px phone, with
the mail caught by a real SMTP server: a locked-out person follows the lockout message's link, gets
a link that works once for 30 minutes, chooses a new password and logs in with it."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous.timed import TimestampSigner
from playwright.sync_api import expect

from agora.accounts import recovery
from agora.accounts import service as accounts
from agora.errors import InvalidInput
from tests.browser.layout import assert_fits_the_screen

WIDTHS = pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
LINK = re.compile(r"https?://\S+/password/reset\?token=\S+")


def _ada(database, password: str = "correct horse battery") -> None:
    with database.session() as session:
        accounts.create_user(session, email="ada@example.com", display_name="Ada", password=password)


def _log_in(page, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _emailed_link(smtp) -> str:
    (recipients, message), = smtp.messages
    assert recipients == ["ada@example.com"] and message["Subject"] == "Reset your Agora password"
    return LINK.search(_body(message)).group(0)


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


@pytest.mark.browser
@WIDTHS
def test_a_locked_out_person_resets_their_password_with_the_emailed_link(page, server, database, smtp, width):
    page.set_viewport_size({"width": width, "height": 800})
    _ada(database)
    for _ in range(server.settings.login_max_failures_per_email + 1):
        _log_in(page, "what was it again")
    expect(page.get_by_role("alert").first).to_contain_text("Reset it by email with the link below.")
    page.get_by_role("link", name="Reset your password by email").click()
    expect(page.get_by_label("Email")).to_have_value("ada@example.com")
    assert_fits_the_screen(page)
    page.get_by_role("button", name="Email me a reset link").click()
    expect(page.get_by_role("status")).to_contain_text("an email with a link to choose a new password is on its way")
    link = _emailed_link(smtp)
    assert "30 minutes" in _body(smtp.messages[0][1])

    page.goto(link)
    assert_fits_the_screen(page)
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("alert")).to_contain_text("10")  # too short: said, and the link still works
    page.get_by_label("New password").fill("a brand new passphrase")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")

    _log_in(page, "a brand new passphrase")  # the lockout ended with the reset
    expect(page.get_by_role("link", name="Log out")).to_be_visible()
    page.goto(link)  # used once: never again
    expect(page.get_by_role("alert")).to_contain_text("expired or was already used")
    page.get_by_role("link", name="Ask for a new reset link").click()
    expect(page).to_have_url(re.compile(r"/password/forgot$"))


def test_the_page_tells_no_one_who_has_an_account_and_limits_the_mail(make_browser, database, smtp):
    _ada(database)
    visitor = make_browser()
    unknown = visitor.submit("/password/forgot", {"email": "nobody@example.com"}, form_page="/password/forgot")
    known = visitor.submit("/password/forgot", {"email": "ada@example.com"}, form_page="/password/forgot")
    assert unknown.status_code == known.status_code == 200
    assert "If an account uses nobody@example.com" in unknown.text and "If an account uses ada@example.com" in known.text
    assert [recipients for recipients, _ in smtp.messages] == [["ada@example.com"]]
    again = visitor.submit("/password/forgot", {"email": "ADA@example.com"}, form_page="/password/forgot")
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 1 and len(smtp.messages) == 1
    bad = visitor.submit("/password/forgot", {"email": "not an address"}, form_page="/password/forgot")
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text


def test_links_expire_after_30_minutes_die_when_used_and_are_bound_to_the_account(database, monkeypatch, server):
    _ada(database)
    secret = server.app.state.secret_key
    with database.session() as session:
        ada = accounts.user_by_email(session, "ada@example.com")
        fresh = recovery.token_for(secret, ada)
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 31 * 60)
        old = recovery.token_for(secret, ada)
        monkeypatch.undo()
    with database.session() as session, pytest.raises(InvalidInput, match="expired"):
        recovery.user_for(session, secret, old)
    with database.session() as session, pytest.raises(InvalidInput, match="expired"):
        recovery.user_for(session, "another-secret-key-entirely", fresh)
    with database.session() as session, pytest.raises(InvalidInput, match="expired"):
        recovery.user_for(session, secret, fresh[:-2] + ("AA" if not fresh.endswith("AA") else "BB"))
    with database.session() as session:
        recovery.reset(session, secret, token=fresh, password="first new password")
    with database.session() as session, pytest.raises(InvalidInput, match="expired"):  # the double submit
        recovery.reset(session, secret, token=fresh, password="second new password")
    with database.session() as session:
        user = accounts.authenticate(session, server.app.state.settings, email="ada@example.com", password="first new password", ip="10.0.0.1")
        assert user.email == "ada@example.com"
